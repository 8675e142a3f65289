// Reading a job's parameters: the JS side writes them as f64 slots.

export function pI(job: usize, slot: i32): i32 {
  return <i32>load<f64>(job + ((<usize>slot) << 3));
}

export function pP(job: usize, slot: i32): usize {
  return <usize>load<f64>(job + ((<usize>slot) << 3));
}

export function pF(job: usize, slot: i32): f64 {
  return load<f64>(job + ((<usize>slot) << 3));
}
