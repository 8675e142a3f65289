// Packs each published package as `pnpm publish` would, then checks the tarballs the way the
// registry and a user would see them: the manifest (no workspace protocol, no private tooling,
// the fields npm shows), LICENSE and README (links that work on npmjs.com), the type
// declarations under every resolution mode (@arethetypeswrong/cli, all profiles), and an install
// of the four tarballs with npm into an empty project that then loads every entry.
// Run after `pnpm build`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const REPO = "https://github.com/tapegrad/tapegrad";
const packages = ["core", "layers", "optim", "data"];
const license = readFileSync(join(root, "LICENSE"), "utf8");
const work = mkdtempSync(join(tmpdir(), "tapegrad-packs-"));
/** @type {string[]} */
const problems = [];
/** @type {(cmd: string, args: string[], cwd: string) => string} */
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/**
 * What a command that `run` threw for had printed (or the error itself, if it printed nothing).
 * @param {unknown} e
 */
const printed = (e) => {
  const { stdout = "", stderr = "" } = /** @type {{ stdout?: string; stderr?: string }} */ (e);
  return `${stdout}${stderr}` || String(e);
};

/**
 * @param {string} name
 * @param {Record<string, any>} pkg the packed package.json
 */
function checkManifest(name, pkg) {
  /** @param {string} msg */
  const bad = (msg) => problems.push(`${name}: ${msg}`);
  const text = JSON.stringify(pkg);
  if (text.includes("workspace:")) bad("the packed manifest still has a workspace: range");
  if (pkg.devDependencies) bad("devDependencies are published (they name private tooling)");
  if (pkg.scripts) bad("scripts are published (they run the repository's tooling)");
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (dep.startsWith("@tapegrad/") && !range.startsWith("^")) {
      bad(`dependency ${dep} is pinned to ${range}, not a ^ range`);
    }
  }
  if (pkg.license !== "MIT") bad(`license is ${pkg.license}`);
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) bad("no keywords");
  if (!pkg.homepage?.startsWith(REPO)) bad(`homepage ${pkg.homepage}`);
  if (pkg.bugs?.url !== `${REPO}/issues`) bad(`bugs ${JSON.stringify(pkg.bugs)}`);
  const repo = pkg.repository ?? {};
  if (repo.url !== `git+${REPO}.git` || !repo.directory?.startsWith("packages/")) {
    bad(`repository ${JSON.stringify(repo)}`);
  }
}

/**
 * @param {string} name
 * @param {string} dir the unpacked tarball
 */
function checkFiles(name, dir) {
  /** @param {string} msg */
  const bad = (msg) => problems.push(`${name}: ${msg}`);
  let packedLicense = "";
  try {
    packedLicense = readFileSync(join(dir, "LICENSE"), "utf8");
  } catch {
    bad("no LICENSE in the tarball");
  }
  if (packedLicense !== "" && packedLicense !== license) bad("LICENSE differs from the root's");
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  // npmjs.com resolves no relative link: every Markdown link must be absolute or an anchor.
  for (const m of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    const href = m[1] ?? "";
    if (!/^(https:\/\/|#)/.test(href)) bad(`README link "${href}" is relative`);
  }
}

/** @type {string[]} */
const tarballs = [];
for (const p of packages) {
  const dir = join(root, "packages", p);
  const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  const out = join(work, p);
  mkdirSync(out);
  run("pnpm", ["pack", "--pack-destination", out], dir);
  const packed = readdirSync(out).find((f) => f.endsWith(".tgz"));
  if (packed === undefined) throw new Error(`check-packs: pnpm pack wrote no tarball for ${name}`);
  const tgz = join(out, packed);
  run("tar", ["-xzf", tgz, "-C", out], root);
  const pkg = JSON.parse(readFileSync(join(out, "package", "package.json"), "utf8"));
  const before = problems.length;
  checkManifest(name, pkg);
  checkFiles(name, join(out, "package"));
  // Every profile: node10, node16 from CJS and from ESM, bundler.
  try {
    run("pnpm", ["exec", "attw", tgz, "--format", "table-flipped"], root);
    if (problems.length === before) {
      console.log(`${name}: manifest, LICENSE, README links and attw (all profiles) ok`);
    }
  } catch (e) {
    problems.push(`${name}: attw found problems\n${printed(e)}`);
  }
  tarballs.push(tgz);
}

// Install the tarballs as a user would (npm, no workspace, no registry needed: each internal
// dependency is satisfied by a tarball of the same install), then load every entry both ways.
const project = join(work, "consumer");
mkdirSync(project);
writeFileSync(join(project, "package.json"), '{ "name": "consumer", "private": true }\n');
try {
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", ...tarballs], project);
  const probe = `
    const entries = [
      "@tapegrad/core",
      "@tapegrad/core/node",
      "@tapegrad/layers",
      "@tapegrad/optim",
      "@tapegrad/data",
    ];
    for (const e of entries) {
      const cjs = require(e);
      import(e).then((esm) => {
        if (Object.keys(cjs).length === 0 || Object.keys(esm).length === 0) throw new Error(e + " is empty");
      });
    }
    const { Linear } = require("@tapegrad/layers");
    const { tensor } = require("@tapegrad/core");
    const { DataLoader, TensorDataset } = require("@tapegrad/data");
    const loader = new DataLoader(new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]])), { batchSize: 2 });
    const [[batch]] = loader;
    console.log(new Linear(2, 1).forward(batch).shape.join("x"));`;
  // A Linear(2, 1) on the DataLoader's first batch of two examples: the tarballs work together.
  const shape = run("node", ["-e", probe], project).trim();
  if (shape !== "2x1") problems.push(`installed tarballs: Linear(2, 1) on a batch gave ${shape}`);
  else console.log("npm install of the four tarballs: every entry loads with require and import");
} catch (e) {
  problems.push(`installing the tarballs with npm failed\n${printed(e)}`);
}

rmSync(work, { recursive: true, force: true });
for (const p of problems) console.error(p);
process.exit(problems.length === 0 ? 0 : 1);
