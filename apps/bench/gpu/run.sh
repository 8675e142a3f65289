#!/usr/bin/env bash
# The GPU benchmark: tapegrad, jax-js and tfjs training through WebGPU (Dawn's dawn.node, npm
# `webgpu`) in Node 20, and PyTorch CUDA, on the reference encoder (batch 32 and 512) and a
# 4096³ float32 matmul. Needs the bundle build.sh makes (.gpu/ at the repo root): node, the
# node_modules, tapegrad's packages and the Vulkan/glvnd .debs; no network.
#   usage, from the repo root:   OUT=/some/dir bash apps/bench/gpu/run.sh
# Writes to $OUT: run.log (everything), results.jsonl (one JSON line per result/error/adapter),
#   <lib>_<workload>.log (each benchmark process's full stdout+stderr).
# Knobs (environment):
#   GPUBENCH_LIBS="tapegrad torch jaxjs tfjs"  GPUBENCH_WORKLOADS="matmul transformer"
#   GPUBENCH_TIMEOUT_MATMUL=90  GPUBENCH_TIMEOUT_TRANSFORMER=150  GPUBENCH_DEADLINE_S=480 (whole script)
#   GPUBENCH_BUNDLE=<repo>/.gpu  GPUBENCH_WORK=/tmp/gpubench (scratch: node and node_modules unpacked there)
#   GPUBENCH_PYTHON=python3 (with PyTorch; for the torch rows)
#   DAWN_FLAGS="backend=vulkan" (passed to dawn.node create()),  BENCH_* (see bench_gpu.mjs)
#   VK_DRIVER_FILES / VK_ICD_FILENAMES: if neither is set, NVIDIA's ICD json is looked up and used.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUNDLE=${GPUBENCH_BUNDLE:-$(cd "$HERE/../../.." && pwd)/.gpu}
: "${OUT:?set OUT to an output folder}"
mkdir -p "$OUT"
W=${GPUBENCH_WORK:-/tmp/gpubench}
START=$(date +%s)
DEADLINE=${GPUBENCH_DEADLINE_S:-480}
LIBS=${GPUBENCH_LIBS:-tapegrad torch jaxjs tfjs}
WORKLOADS=${GPUBENCH_WORKLOADS:-matmul transformer}
PY=${GPUBENCH_PYTHON:-python3}
export DAWN_FLAGS=${DAWN_FLAGS-backend=vulkan}
RES="$OUT/results.jsonl"
: > "$RES"

elapsed() { echo $(( $(date +%s) - START )); }

unxz_cat() { # decompress $1 to stdout (xz, else python3's lzma)
  if command -v xz >/dev/null 2>&1; then xz -dc "$1"
  else python3 -c 'import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

has_lib() { # whether the dynamic linker knows $1 (no `grep -q` on a pipe: pipefail + SIGPIPE)
  [ -n "$(ldconfig -p 2>/dev/null | awk -v l="$1" '$1 == l {print; exit}')" ]
}

unpack_local() { # unpack the .debs in $1 under $2 and put its libraries on LD_LIBRARY_PATH
  local dir=$1 alt=$2 deb
  mkdir -p "$alt"
  for deb in "$dir"/*.deb; do
    (cd "$alt" && ar x "$deb" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary)
  done
  export LD_LIBRARY_PATH="$alt/usr/lib/x86_64-linux-gnu:$alt/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "   unpacked $(cd "$dir" && echo *.deb) under $alt (LD_LIBRARY_PATH)"
}

unpack_debs() { # unpack the .debs in $1 into / (dpkg -x + ldconfig), else as unpack_local
  local dir=$1 alt=$2 deb ok=1
  command -v dpkg >/dev/null 2>&1 || ok=0
  if [ $ok = 1 ]; then for deb in "$dir"/*.deb; do dpkg -x "$deb" / || { ok=0; break; }; done; fi
  if [ $ok = 1 ] && ldconfig; then echo "   unpacked $(cd "$dir" && echo *.deb) into / + ldconfig"
  else unpack_local "$dir" "$alt"; fi
}

main() {
  echo "== gpubench start $(date -u +%FT%TZ) host=$(hostname) $(uname -srm)"
  echo "== bundle: $BUNDLE  work: $W  OUT: $OUT  deadline: ${DEADLINE}s  libs: $LIBS"
  [ -f "$BUNDLE/tapegrad_build.json" ] || { echo "FATAL: no bundle at $BUNDLE (bash apps/bench/gpu/build.sh)"; return 1; }
  echo "== tapegrad build: $(cat "$BUNDLE/tapegrad_build.json")"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "== nvidia-smi -L"; nvidia-smi -L
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm --format=csv 2>&1 | sed 's/^/   /'
  else echo "== nvidia-smi: not found"; fi

  # ---- unpack node + node_modules (the peers', then tapegrad's packages beside them)
  rm -rf "$W" && mkdir -p "$W" || { echo "FATAL: cannot create $W"; return 1; }
  unxz_cat "$BUNDLE/node.xz" > "$W/node" && chmod +x "$W/node" || { echo "FATAL: cannot unpack node"; return 1; }
  for t in node_modules tapegrad; do
    unxz_cat "$BUNDLE/$t.tar.xz" | tar -xf - -C "$W" || { echo "FATAL: cannot unpack $t.tar.xz"; return 1; }
  done
  cp "$HERE"/*.mjs "$HERE"/*.py "$BUNDLE"/tapegrad_bench.mjs "$BUNDLE"/tapegrad_build.json "$W/"
  NODE="$W/node"
  echo "== node $("$NODE" --version) ($(du -sh "$W" | cut -f1) unpacked in $(elapsed)s)"

  # ---- Vulkan loader and glvnd (the NVIDIA ICD fails with "Could not get 'vkCreateInstance'"
  # without them): use the system's, else unpack the carried Debian packages
  if has_lib libvulkan.so.1; then echo "== libvulkan.so.1 present"
  else echo "== libvulkan.so.1 missing"; unpack_debs "$BUNDLE/debs" "$W/vk"; fi
  if has_lib libGLX.so.0 && has_lib libEGL.so.1 && has_lib libGLdispatch.so.0; then echo "== glvnd present"
  else echo "== glvnd missing"; unpack_debs "$BUNDLE/debs/gl" "$W/gl"; fi
  if has_lib libX11.so.6 && has_lib libXext.so.6; then echo "== libX11/libXext present"
  else echo "== X11 libraries missing"; unpack_local "$BUNDLE/debs/x11" "$W/x11"; fi
  ldconfig -p 2>/dev/null | grep -E 'libvulkan|libGLX\.|libEGL\.' | sed 's/^/   /'

  # ---- Vulkan ICD (driver) selection
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
    ICD=""
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
             /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/*.json; do
      [ -f "$f" ] && { ICD=$f; break; }
    done
    if [ -n "$ICD" ]; then export VK_DRIVER_FILES="$ICD" VK_ICD_FILENAMES="$ICD"
    else echo "WARNING: no nvidia_icd.json found; leaving the Vulkan loader's default ICD search"; fi
  fi
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$d" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d";; esac
  done
  echo "== VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  icd=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}; icd=${icd%%:*}
  [ -n "$icd" ] && [ -f "$icd" ] && tr -d '\n' < "$icd" | sed 's/  */ /g; s/^/   icd: /' && echo
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$W/xdg}; mkdir -p -m 700 "$XDG_RUNTIME_DIR"

  # ---- adapter probe (falls back to Dawn's default backend choice if DAWN_FLAGS fails)
  cd "$W" || return 1
  echo "== probe (DAWN_FLAGS='$DAWN_FLAGS')"
  if ! timeout -k 5 60 "$NODE" bench_gpu.mjs --probe > "$W/probe.txt" 2>&1; then
    cat "$W/probe.txt"
    echo "== probe failed; listing adapters (DAWN_FLAGS=adapter=__list__) and retrying with DAWN_FLAGS=''"
    DAWN_FLAGS="adapter=__list__" timeout -k 5 60 "$NODE" bench_gpu.mjs --probe 2>&1 | tail -20
    export DAWN_FLAGS=""
    timeout -k 5 60 "$NODE" bench_gpu.mjs --probe > "$W/probe.txt" 2>&1 || { cat "$W/probe.txt"; echo "FATAL: no WebGPU adapter"; return 1; }
  fi
  cat "$W/probe.txt"; grep '^{' "$W/probe.txt" >> "$RES"
  if grep -q -E '"isFallbackAdapter":true|swiftshader|llvmpipe|lavapipe' "$W/probe.txt"; then
    echo "WARNING: the WebGPU adapter is a CPU/software fallback, not the GPU"
  fi

  # ---- benchmarks: one process per (library, workload); tapegrad first, so a deadline hits the peers
  for lib in $LIBS; do
    for wl in $WORKLOADS; do
      case $wl in matmul) t=${GPUBENCH_TIMEOUT_MATMUL:-90};; *) t=${GPUBENCH_TIMEOUT_TRANSFORMER:-150};; esac
      left=$(( DEADLINE - $(elapsed) - 5 ))
      [ "$t" -gt "$left" ] && t=$left
      log="$OUT/${lib}_${wl}.log"
      if [ "$t" -lt 15 ]; then
        echo "== SKIP $lib $wl: only ${left}s left before the ${DEADLINE}s deadline"
        echo "{\"kind\":\"error\",\"peer\":\"$lib\",\"workload\":\"$wl\",\"error\":\"skipped: deadline\"}" >> "$RES"
        continue
      fi
      echo "== run $lib $wl (timeout ${t}s, t=$(elapsed)s)"
      t0=$(date +%s)
      if [ "$lib" = torch ]; then timeout -k 10 "$t" "$PY" torch_cuda.py --workload "$wl" > "$log" 2>&1
      else timeout -k 10 "$t" "$NODE" bench_gpu.mjs --lib "$lib" --workload "$wl" > "$log" 2>&1; fi
      rc=$?
      grep '^{' "$log" | grep -v '"kind":"adapter"' | tee -a "$RES"
      grep -v '^{' "$log" | grep -v -i 'XDG_RUNTIME_DIR' | tail -15 | sed 's/^/   | /'
      if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "{\"kind\":\"error\",\"peer\":\"$lib\",\"workload\":\"$wl\",\"error\":\"timeout after ${t}s (rc=$rc)\"}" | tee -a "$RES"
      elif [ $rc -ne 0 ]; then
        echo "{\"kind\":\"error\",\"peer\":\"$lib\",\"workload\":\"$wl\",\"error\":\"exit code $rc\"}" | tee -a "$RES"
      fi
      echo "== done $lib $wl rc=$rc in $(( $(date +%s) - t0 ))s"
    done
  done

  echo "== summary (t=$(elapsed)s)"
  "$NODE" summary.mjs "$RES"
  echo "== gpubench end $(date -u +%FT%TZ) total $(elapsed)s"
}

main 2>&1 | tee "$OUT/run.log"
