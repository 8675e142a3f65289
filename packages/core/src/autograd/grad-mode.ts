import { coreState } from "../global-state.js";

/**
 * Whether ops record onto the tape. A process-wide switch, as torch.is_grad_enabled(); shared
 * by every copy of core loaded in the process.
 */
export function isGradEnabled(): boolean {
  return coreState.gradEnabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = coreState.gradEnabled;
  coreState.gradEnabled = enabled;
  try {
    return fn();
  } finally {
    coreState.gradEnabled = prev;
  }
}

/** Run `fn` with recording off: nothing inside is put on the tape. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run `fn` with recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
