import cliProgress from "cli-progress";

export interface BatchStats {
  loss: number;
  acc: number;
  examplesPerSecond: number;
}

/** Shows how an epoch is going; the summary line at its end is printed by the caller. */
export interface Progress {
  startEpoch(epoch: number, epochs: number, batches: number, startBatch: number): void;
  update(batch: number, stats: BatchStats): void;
  stopEpoch(): void;
}

/** A cli-progress bar on stderr, redrawn by its own timer (the loop yields every step). */
class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;

  startEpoch(epoch: number, epochs: number, batches: number, startBatch: number): void {
    const width = String(epochs).length;
    this.bar = new cliProgress.SingleBar(
      {
        format:
          `epoch ${String(epoch + 1).padStart(width)}/${epochs} {bar} {percentage}% ` +
          "| loss {loss} | acc {acc} | {speed} ex/s | ETA {eta_formatted}",
        barCompleteChar: "█",
        barIncompleteChar: "░",
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 30,
        fps: 8,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, startBatch, { loss: "-----", acc: "----", speed: "---" });
  }

  update(batch: number, s: BatchStats): void {
    this.bar?.update(batch, {
      loss: s.loss.toFixed(3),
      acc: `${(s.acc * 100).toFixed(1)}%`,
      speed: Math.round(s.examplesPerSecond),
    });
  }

  stopEpoch(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** --quiet, or output that is not a terminal (CI logs): nothing between the epoch lines. */
class QuietProgress implements Progress {
  startEpoch(): void {}
  update(): void {}
  stopEpoch(): void {}
}

export function makeProgress(quiet: boolean): Progress {
  return quiet || !process.stderr.isTTY ? new QuietProgress() : new BarProgress();
}
