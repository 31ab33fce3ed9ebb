/**
 * Child process: the four bundled example modules (customers, orders, products, documents) on
 * free loopback ports, with the default example data (100 orders, 20 customers, 10 products).
 * IPC: `{ type: 'calls' }` answers the calls each module received since the last one and resets.
 */
import {
  startExampleModule,
  startExampleModules,
  type ExampleModule,
} from '../../../examples/modules.js';

const modules = await startExampleModules({ host: '127.0.0.1' });
// A second customers module with a service time, as a module doing real work would have.
const latencyMs = Number(process.env['BENCH_MODULE_LATENCY_MS'] ?? 5);
const slow = await startExampleModule('customers', { host: '127.0.0.1', latencyMs });
const entries: Array<[string, ExampleModule]> = [
  ...Object.entries(modules),
  ['customers-slow', slow],
];
const list: ExampleModule[] = entries.map(([, m]) => m);

process.on('message', (msg: { id: number; type: string }) => {
  if (msg.type === 'calls') {
    const counts: Record<string, { total: number; paths: Record<string, number> }> = {};
    for (const [name, m] of entries) {
      const paths: Record<string, number> = {};
      for (const c of m.calls) {
        const key = `${c.method} ${c.path.replace(/\/\d+$/, '/{id}')}${c.query ? `?${c.query.replace(/=.*/, '=…')}` : ''}`;
        paths[key] = (paths[key] ?? 0) + 1;
      }
      counts[name] = { total: m.calls.length, paths };
      m.resetCalls();
    }
    process.send!({ id: msg.id, result: counts });
  }
});

const shutdown = async () => {
  await Promise.all(list.map((m) => m.close()));
  process.exit(0);
};
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

process.send!({
  type: 'ready',
  modules: Object.fromEntries(
    entries.map(([name, m]) => [name, { url: m.url, endpoint: m.endpoint }]),
  ),
  latencyMs,
});
