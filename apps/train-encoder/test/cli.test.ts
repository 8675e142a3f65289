import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { explicitConfig, nonFinitePolicy, normalizeArgv, parse, pathFlag } from "../src/args.js";
import { DEFAULTS } from "../src/config.js";
import { train } from "../src/train.js";
import { APP, checkXml, cli, NODE_ARGS, tempDir } from "./helpers.js";

/** One line on stderr, starting with "error:", and no stack trace. */
function expectCleanError(r: ReturnType<typeof cli>, pattern: RegExp, code = 2): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

// Each case spawns the CLI (tsx compiles it on start): seconds apiece on a loaded machine.
describe("command line", { timeout: 60_000 }, () => {
  const mnistRun = tempDir("cli-mnist");
  const namesRun = tempDir("cli-names");
  beforeAll(async () => {
    const log = () => {};
    const tiny = { epochs: 1, limit: 200, warmup: 2 };
    await train({ config: { ...DEFAULTS.mnist, ...tiny }, outDir: mnistRun, quiet: true, log });
    await train({ config: { ...DEFAULTS.names, ...tiny }, outDir: namesRun, quiet: true, log });
  }, 60_000);

  it("--help prints the usage", () => {
    const r = cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: pnpm train/);
    expect(r.stdout).toMatch(/--resume DIR/);
  });

  it("rejects unknown flags, bad values and unknown commands", () => {
    expectCleanError(cli(["--bogus"]), /unknown option --bogus/);
    expectCleanError(
      cli(["--norm", "group"]),
      /--norm must be one of layer, rms, batch, none; got 'group'/,
    );
    expectCleanError(cli(["--epochs", "0"]), /--epochs must be a positive integer/);
    expectCleanError(cli(["--d-model", "30", "--heads", "4"]), /divisible by --heads/);
    expectCleanError(cli(["frobnicate"]), /unknown command 'frobnicate'/);
  });

  it("reports a missing or corrupt checkpoint in one line", () => {
    expectCleanError(cli(["evaluate", "/nonexistent/run"]), /no such checkpoint or run directory/);
    const bad = join(tempDir("corrupt"), "bad.safetensors");
    writeFileSync(bad, "this is not a checkpoint at all");
    expectCleanError(cli(["evaluate", bad]), /cannot load checkpoint .*bad\.safetensors/);
    expectCleanError(cli(["evaluate"]), /missing checkpoint/);
  });

  it("refuses flags that contradict the checkpoint", () => {
    expectCleanError(cli(["evaluate", mnistRun, "--d-model", "64"]), /--d-model 64 does not match/);
    expectCleanError(
      cli(["predict", mnistRun, "--dataset", "names", "Ann"]),
      /--dataset names does not match/,
    );
    expectCleanError(cli(["--resume", mnistRun, "--lr", "0.1"]), /--lr 0.1 does not match/);
  });

  it("evaluates and predicts from a run directory", () => {
    const ev = cli(["evaluate", mnistRun]);
    expect(ev.stderr).toBe("");
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/test accuracy: \d+\.\d\d% \(\d+\/2004\)/);

    const digits = cli(["predict", mnistRun, "0", "1500"]);
    expect(digits.code).toBe(0);
    expect(digits.stdout).toMatch(/test image #0 \(label 0\)/);
    expect(digits.stdout).toMatch(/test image #1500 \(label \d\)/);
    expectCleanError(cli(["predict", mnistRun, "99999"]), /not a test-image index/);

    const names = cli(["predict", namesRun, "Alice", "Robert"]);
    expect(names.code).toBe(0);
    expect(names.stdout).toMatch(/Alice\n\s+(female|male)\s+\d+\.\d%/);
    expectCleanError(cli(["predict", namesRun, "R2D2"]), /not a name/);
  });

  it("compare writes one report with a comparison plot", () => {
    const out = resolve(tempDir("compare"), "cmp");
    const args = ["compare", "--quiet", "--layers", "2", "--epochs", "1", "--limit", "200"];
    const r = cli([...args, "--variants", "layer-pre,none-pre", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const svg = readFileSync(join(out, "comparison.svg"), "utf8");
    expect(checkXml(svg)).toEqual([]);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain('href="comparison.svg"');
    expect(html).toContain('href="none-pre/report.html"');
    // Each variant's live page was replaced by its final one.
    const variantPage = readFileSync(join(out, "none-pre", "report.html"), "utf8");
    expect(variantPage).not.toMatch(/http-equiv="refresh"/);
    expect(variantPage).toMatch(/Finished: 1 epochs/);
    expectCleanError(cli(["compare", "--variants", "layer-pre,fancy"]), /unknown variant 'fancy'/);
  });

  it("Ctrl-C saves a checkpoint that --resume continues to the end", async () => {
    const out = resolve(tempDir("sigint"), "run");
    const args = [...NODE_ARGS, "--quiet", "--limit", "1500", "--epochs", "3", "--out", out];
    const child = spawn(process.execPath, args, {
      cwd: APP,
      env: { ...process.env, INIT_CWD: APP },
    });
    let stdout = "";
    const done = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      // Interrupt once the first epoch is done and the second is under way. Once: a second
      // SIGINT landing after the run has stopped would kill the process with no exit code.
      if (!sent && stdout.includes("epoch 1/3")) {
        sent = true;
        setTimeout(() => child.kill("SIGINT"), 300);
      }
    });
    const code = await done;
    expect(code).toBe(130);
    expect(stdout).toMatch(/Stopped\. Last checkpoint: .*last\.safetensors/);
    // The live page was replaced by a final one that says how to go on.
    const stoppedPage = readFileSync(join(out, "report.html"), "utf8");
    expect(stoppedPage).not.toMatch(/http-equiv="refresh"/);
    expect(stoppedPage).toMatch(/Interrupted\. Continue with: pnpm train --resume/);
    expect(existsSync(join(out, "last.safetensors"))).toBe(true);

    const resumed = cli(["--quiet", "--resume", out]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/Resuming .* at epoch 2/);
    expect(resumed.stdout).toMatch(/epoch 3\/3/);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    expect(readFileSync(join(out, "report.html"), "utf8")).not.toMatch(/http-equiv="refresh"/);
  }, 60_000);
});

describe("command line: flags as users type them (issue 9)", { timeout: 60_000 }, () => {
  it("`pnpm train -- --help` (npm's form, the `--` passed through) prints the help", () => {
    const r = cli(["--", "--help"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: pnpm train/);
  });

  it("a negative number is a flag's value, then checked like any other", () => {
    expectCleanError(cli(["--lr", "-1"]), /^error: --lr must be a positive number; got '-1'$/);
  });

  it("parses negative values and drops a passed-through `--` (in process)", () => {
    expect(normalizeArgv(["--", "--seed", "-3", "--lr", "-.5", "--quiet", "-h"])).toEqual([
      "--seed=-3",
      "--lr=-.5",
      "--quiet",
      "-h",
    ]);
    const { values } = parse(["--seed", "-3", "--weight-decay", "-0.5"]);
    expect(values.seed).toBe("-3");
    expect(() => explicitConfig(values)).toThrow(
      /--weight-decay must be a non-negative number; got '-0\.5'/,
    );
    expect(explicitConfig(parse(["--seed", "-3"]).values).seed).toBe(-3);
    expect(explicitConfig(parse(["--seed=-3"]).values).seed).toBe(-3);
    // A flag that takes no value leaves a following "-1" alone (an unknown option).
    expect(() => parse(["--quiet", "-1"])).toThrow(/unknown option -1/);
  });

  it("an empty --out or --resume is an error, not the current folder", () => {
    expectCleanError(cli(["--out", ""]), /^error: --out must not be empty/);
    expect(() => pathFlag(parse(["--resume", ""]).values, "resume")).toThrow(
      /^--resume must not be empty/,
    );
  });

  it("a model too large for memory names the flags, not a typed-array length", () => {
    const r = cli([
      "--d-model",
      "1000000000",
      "--heads",
      "1",
      "--out",
      join(tempDir("huge"), "run"),
    ]);
    expectCleanError(r, /--d-model 1000000000.* about [\d,]+ parameters/);
    expect(r.stderr).not.toMatch(/typed array/i);
  });

  it("--nonfinite takes stop or skip", () => {
    expect(nonFinitePolicy(parse([]).values)).toBe("stop");
    expect(nonFinitePolicy(parse(["--nonfinite", "skip"]).values)).toBe("skip");
    expect(() => nonFinitePolicy(parse(["--nonfinite", "ignore"]).values)).toThrow(
      /--nonfinite must be one of stop, skip; got 'ignore'/,
    );
  });

  it("--lr 1e30 stops with one clear line, exit 1, and still writes the report", () => {
    const out = join(tempDir("lr1e30"), "run");
    const r = cli(["--quiet", "--lr", "1e30", "--limit", "200", "--epochs", "2", "--out", out]);
    expectCleanError(r, /train loss is (NaN|Infinity) at epoch 1, step \d+.*--nonfinite skip/, 1);
    expect(r.stdout).toMatch(/Live report: .*report\.html/);
    expect(r.stdout).toMatch(/Report: .*report\.html/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).not.toMatch(/http-equiv="refresh"/);
    expect(html).toMatch(/Stopped: train loss is (NaN|Infinity) at epoch 1/);
  });

  it("an --out below a file names the path", () => {
    const file = join(tempDir("notdir"), "file");
    writeFileSync(file, "x");
    expectCleanError(
      cli(["--out", join(file, "run")]),
      /cannot create the run directory .*file\/run: .*not a folder \(ENOTDIR\)/,
      1,
    );
  });
});
