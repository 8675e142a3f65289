/**
 * `tsx src/models/top-self-time.ts FILE.cpuprofile [N]`: the N (default 15) functions with the
 * most self time in a V8 CPU profile (node --cpu-prof), with their share of the sampled time
 * (idle time left out).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = "15"] = process.argv.slice(2);
if (file === undefined) throw new Error("top-self-time: give a .cpuprofile file");
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const f = byId.get(id)!.callFrame;
  if (f.functionName === "(idle)") return;
  const key = `${f.functionName || "(anonymous)"}  ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  const dt = p.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
console.log(`sampled ${(total / 1e3).toFixed(0)} ms (idle excluded)`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(
    `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${key}`,
  );
}
