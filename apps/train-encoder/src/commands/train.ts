import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  buildConfig,
  checkConfig,
  deviceFlag,
  explicitConfig,
  nonFinitePolicy,
  type Parsed,
  pathFlag,
} from "../args.js";
import { LAST, readRunCheckpoint, resolveCheckpointPath } from "../checkpoint.js";
import { checkFlagsMatch } from "../checkpoint-flags.js";
import type { Config } from "../config.js";
import { classNamesOf } from "../data/index.js";
import { chooseDevice } from "../device.js";
import { UserError } from "../errors.js";
import { pct, writeRunReport } from "../report/run-report.js";
import { APP_DIR, shown, timestamp } from "../run-dir.js";
import { train } from "../train.js";

/** Within an epoch, the live report is rewritten at most this often. */
const REPORT_EVERY_SECONDS = 10;

export async function trainCommand(positionals: string[], values: Parsed["values"]): Promise<void> {
  if (positionals.length > 0) throw new UserError(`train: unexpected argument '${positionals[0]}'`);
  const onNonFinite = nonFinitePolicy(values);
  const deviceChoice = deviceFlag(values);
  const out = pathFlag(values, "out");
  const resumeDir = pathFlag(values, "resume");
  let config: Config;
  let outDir: string;
  let resume = null;
  if (resumeDir !== undefined) {
    const dir = resumeDir;
    resume = readRunCheckpoint(resolveCheckpointPath(dir, LAST));
    config = resume.info.config;
    // Every setting must match: a different batch size or lr would not continue the same run.
    checkFlagsMatch(
      explicitConfig(values),
      config,
      resume.path,
      Object.keys(config) as (keyof Config)[],
    );
    if (out !== undefined && out !== dirname(resume.path)) {
      throw new UserError(
        "--out cannot be combined with --resume: a resumed run stays in its directory",
      );
    }
    outDir = dirname(resume.path);
    if (resume.info.position.epoch >= config.epochs) {
      console.log(
        `${shown(outDir)} already finished all ${config.epochs} epochs; rewriting its report.`,
      );
      await writeRunReport(outDir, resume.info.classNames);
      return;
    }
  } else {
    config = buildConfig(values);
    checkConfig(config);
    outDir = out ?? join(APP_DIR, "runs", `${config.dataset}-${timestamp()}`);
    if (existsSync(join(outDir, LAST))) {
      throw new UserError(
        `${shown(outDir)} already holds a run; continue it with --resume ${shown(outDir)} or pick another --out`,
      );
    }
  }

  // Opened before anything is written, so a missing GPU fails a fresh run cleanly.
  const { device, line } = await chooseDevice(deviceChoice);
  console.log(`Run directory: ${shown(outDir)}`);
  if (line !== null) console.log(line);
  console.log(`Live report: ${shown(join(outDir, "report.html"))} (open it to watch the run)`);
  const result = await train({
    config,
    outDir,
    quiet: values.quiet === true,
    resume,
    device,
    handleSigint: true,
    onNonFinite,
    liveReport: { everySeconds: REPORT_EVERY_SECONDS },
  });
  const classNames = classNamesOf(config.dataset);
  if (result.stopped !== null) {
    // The run went wrong, but what it did is still worth a look: write its report, then fail.
    const report = await writeRunReport(outDir, classNames, {
      data: result.data,
      note: `Stopped: ${result.stopped}`,
    });
    console.log(`Report: ${shown(report)}`);
    throw new UserError(result.stopped, 1);
  }
  if (result.interrupted) {
    // The live page would otherwise keep reloading a run that is no longer training.
    await writeRunReport(outDir, classNames, {
      data: result.data,
      note: `Interrupted. Continue with: pnpm train --resume ${shown(outDir)}`,
    });
    console.log(
      `Stopped. Last checkpoint: ${shown(result.lastCheckpoint ?? join(outDir, LAST))}\n` +
        `Continue with: pnpm train --resume ${shown(outDir)}`,
    );
    process.exitCode = 130;
    return;
  }
  const report = await writeRunReport(outDir, classNames, { data: result.data });
  const last = result.epochs[result.epochs.length - 1];
  const skipped = result.epochs.reduce((n, e) => n + (e.skipped ?? 0), 0);
  console.log(
    `Done in ${result.seconds.toFixed(1)}s: final test accuracy ${last ? pct(last.testAcc) : "-"}, ` +
      `best ${pct(result.bestTestAcc)}` +
      (skipped > 0 ? `; ${skipped} steps skipped for a non-finite loss or gradient` : ""),
  );
  console.log(`Report: ${shown(report)}`);
  console.log(
    `Checkpoints: ${shown(join(outDir, "best.safetensors"))}, ${shown(join(outDir, LAST))}`,
  );
}
