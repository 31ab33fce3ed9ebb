/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, e.g. from `BENCH_PROFILE=1 npm run bench`):
 * top functions by self time, and self time by package / source folder.
 *
 *   npx tsx test/bench/profile-top.ts bench-results/profiles/<file>.cpuprofile [top=30] [from-to]
 *
 * `from-to` (seconds since the profile started, e.g. `12-20`) keeps only the samples of that
 * window, e.g. the load phase; the busy-time timeline printed first shows where it is.
 */
import { readFile } from 'node:fs/promises';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: tsx test/bench/profile-top.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const [from, to] = (process.argv[4] ?? '0-1e9').split('-').map(Number) as [number, number];
const profile = JSON.parse(await readFile(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
const idleIds = new Set(
  profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
);
const busyPerSec: number[] = [];
let clock = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  clock += dt;
  const sec = Math.floor(clock / 1e6);
  if (!idleIds.has(id)) busyPerSec[sec] = (busyPerSec[sec] ?? 0) + dt;
  if (clock / 1e6 < from || clock / 1e6 >= to) return;
  self.set(id, (self.get(id) ?? 0) + dt);
});
process.stdout.write(
  `busy ms per second: ${Array.from(busyPerSec, (v, i) => `${i}:${Math.round((v ?? 0) / 1000)}`).join(' ')}\n`,
);
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/work\/[^/]+\/(.+)$/.exec(url.replace(/^file:\/\//, ''));
  if (src) return src[1]!.replace(/\/[^/]+$/, '/');
  return url ? url.replace(/^node:/, 'node:') : '(native/v8)';
};
const fnKey = (n: Node) => {
  const f = n.callFrame;
  const file = f.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^\/work\/[^/]+\//, '');
  return `${f.functionName || '(anonymous)'}  ${file}:${f.lineNumber + 1}`;
};
const fns = new Map<string, number>();
const pkgs = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const k = fnKey(n);
  fns.set(k, (fns.get(k) ?? 0) + t);
  const p = ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName)
    ? n.callFrame.functionName
    : where(n.callFrame.url);
  pkgs.set(p, (pkgs.get(p) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
process.stdout.write(
  `total sampled: ${(total / 1e6).toFixed(2)} s\n\nself time by package / folder:\n`,
);
for (const [k, t] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 25))
  process.stdout.write(`${pct(t)} ${ms(t)}  ${k}\n`);
process.stdout.write(`\ntop ${top} functions by self time:\n`);
for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(t)} ${ms(t)}  ${k}\n`);
