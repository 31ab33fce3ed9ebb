import { forkTs, waitForMessage, stopAll } from './lib/procs.js';
import { createStore } from './lib/bifrost.js';
const spec = forkTs('../procs/spec-server.ts');
const ready: any = await waitForMessage(spec, (x: any) => (x?.type === 'ready' ? x : undefined));
for (const n of (process.argv[2] ?? '1,10').split(',').map(Number)) {
  const store = await createStore();
  const child = forkTs('../procs/schema-build.ts', [String(n)], { env: { SPEC_URL: ready.url, ...store.env }, execArgv: ['--expose-gc'] });
  const r = await waitForMessage(child, (x: any) => (x?.type === 'result' ? x.result : undefined), 600_000);
  console.log(JSON.stringify(r));
  await store.drop();
}
await stopAll();
process.exit(0);
