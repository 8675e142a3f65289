/** Ctrl-C while training: asks the loop to save and stop after the current step. */
export interface Interrupt {
  readonly requested: boolean;
  /** Stop listening (the run is over). */
  dispose(): void;
}

/**
 * Listen for SIGINT when `enabled`. The loop checks `requested` after every step; a second
 * Ctrl-C quits at once (the checkpoint on disk stays whole: it is only ever replaced by an
 * atomic rename).
 */
export function listenForInterrupt(enabled: boolean): Interrupt {
  let requested = false;
  const onSigint = () => {
    if (requested) process.exit(130);
    requested = true;
  };
  if (enabled) process.on("SIGINT", onSigint);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      if (enabled) process.off("SIGINT", onSigint);
    },
  };
}
