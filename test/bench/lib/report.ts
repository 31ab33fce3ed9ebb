/** Result file shape and its Markdown rendering (the table pasted into the README). */

export interface Row {
  scenario: string;
  measure: string;
  bifrost: number | string;
  baseline: number | string;
  baselineName: string;
  /** BiFrost / baseline, when meaningful. */
  ratio: number | null;
  target: string;
  /** Whether the target is met; null when the row has no target. */
  met: boolean | null;
}

export interface BenchResults {
  generatedAt: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  rows: Row[];
  scenarios: Record<string, unknown>;
  totalSec: number;
}

const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|');

export function renderMarkdown(r: BenchResults): string {
  const s = r.settings;
  const m = r.machine;
  const lines = [
    `### Benchmarks (\`npm run bench\`)`,
    '',
    `${r.generatedAt.slice(0, 10)}, ${m['cpus']} vCPU (${m['cpuModel']}), Node ${m['node']}; ` +
      `${s['durationSec']} s per measurement after ${s['warmupSec']} s of warm-up, ${s['connections']} connections, ` +
      `load from a separate process (autocannon) on loopback; gateway, modules and peer each in their own process. ` +
      `Ratios are BiFrost / baseline, measured in the same run. ` +
      `Node flags: BiFrost \`${(s['gatewayNodeArgs'] as string[]).join(' ') || 'none'}\`, Hive Gateway \`${(s['peerNodeArgs'] as string[]).join(' ') || 'none'}\`; ` +
      `registry in ${s['store'] ?? 'PostgreSQL'}. Server CPU per request is read from /proc (user + system time of the server process).`,
    '',
    '| Scenario | Measure | BiFrost | Baseline | Ratio | Target | Met |',
    '|---|---|---:|---:|---:|---|:-:|',
  ];
  for (const row of r.rows) {
    const baseline =
      row.baseline === ''
        ? ''
        : `${cell(row.baseline)}${row.baselineName ? ` (${cell(row.baselineName)})` : ''}`;
    lines.push(
      `| ${cell(row.scenario)} | ${cell(row.measure)} | ${cell(row.bifrost)} | ${baseline} | ${row.ratio === null ? '' : `${row.ratio}x`} | ${cell(row.target)} | ${row.met === null ? '' : row.met ? 'yes' : '**no**'} |`,
    );
  }
  lines.push('', `Run time: ${r.totalSec} s. Raw figures: \`${String(s['output'])}.json\`.`, '');
  return lines.join('\n');
}
