/**
 * Child process: the four bundled example modules (customers, orders, products, documents) on
 * free loopback ports, with the default example data (100 orders, 20 customers, 10 products).
 * IPC: `{ type: 'calls' }` answers the calls each module received since the last one and resets.
 */
import { startExampleModules, type ExampleModule } from '../../../examples/modules.js';

const modules = await startExampleModules({ host: '127.0.0.1' });
const list: ExampleModule[] = Object.values(modules);

process.on('message', (msg: { id: number; type: string }) => {
  if (msg.type === 'calls') {
    const counts: Record<string, { total: number; paths: Record<string, number> }> = {};
    for (const m of list) {
      const paths: Record<string, number> = {};
      for (const c of m.calls) {
        const key = `${c.method} ${c.path.replace(/\/\d+$/, '/{id}')}${c.query ? '?' + c.query.replace(/=.*/, '=…') : ''}`;
        paths[key] = (paths[key] ?? 0) + 1;
      }
      counts[m.name] = { total: m.calls.length, paths };
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
  modules: Object.fromEntries(list.map((m) => [m.name, { url: m.url, endpoint: m.endpoint }])),
});
