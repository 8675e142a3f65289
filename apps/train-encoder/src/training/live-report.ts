import { writeRunReport } from "../report/run-report.js";
import type { Session } from "./setup.js";

/** How often the live page asks the browser to reload it. */
export const LIVE_REFRESH_SECONDS = 5;

/**
 * report.html kept current while the run trains (when asked for): written at the start, after
 * every epoch but the last, and within an epoch when `everySeconds` have passed since the last.
 */
export class LiveReport {
  private last = performance.now();

  constructor(
    private readonly s: Session,
    private readonly options: { everySeconds: number } | undefined,
  ) {}

  async write(): Promise<void> {
    if (this.options === undefined) return;
    await writeRunReport(this.s.outDir, this.s.data.classNames, {
      live: { refreshSeconds: LIVE_REFRESH_SECONDS },
      data: this.s.data,
    });
    this.last = performance.now();
  }

  /** Whether the page is due within an epoch (never after its last batch: the epoch's is next). */
  dueWithinEpoch(): boolean {
    return (
      this.options !== undefined &&
      performance.now() - this.last > this.options.everySeconds * 1000 &&
      this.s.pos.batch < this.s.perEpoch
    );
  }
}
