/**
 * Child process: one HTTP server serving generated module specs, module `i` at `/m{i}/docs`
 * (`{endpoint}/docs` with endpoint `http://127.0.0.1:PORT/m{i}`), 20 operations each.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSpec } from '../lib/gen-spec.js';

const operations = Number(process.env['BENCH_SPEC_OPERATIONS'] ?? 20);
const cache = new Map<number, Buffer>();
const server = createServer((req, res) => {
  const m = /^\/m(\d+)\/docs$/.exec(req.url ?? '');
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const i = Number(m[1]);
  let body = cache.get(i);
  if (!body) {
    body = Buffer.from(JSON.stringify(generateSpec(i, operations)));
    cache.set(i, body);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.send!({
    type: 'ready',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
