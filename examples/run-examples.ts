/**
 * Starts the four example logic modules on fixed ports, for `mesh dev`, the gateway's
 * `.meshrc.yml` start-up registration, or trying the modules by hand:
 *
 *   npx tsx examples/run-examples.ts
 *
 * Environment (all optional):
 * - `EXAMPLE_HOST` (default `127.0.0.1`; `0.0.0.0` to listen on every interface)
 * - `EXAMPLE_CUSTOMERS_PORT` (4101), `EXAMPLE_ORDERS_PORT` (4102), `EXAMPLE_PRODUCTS_PORT`
 *   (4103), `EXAMPLE_DOCUMENTS_PORT` (4104)
 *
 * This script is its own entry point (not part of the gateway), so it reads `process.env` itself.
 */
import { EXAMPLE_MODULE_KINDS, EXAMPLE_PORTS, startExampleModules } from './modules.js';
import type { ExampleModuleKind } from './modules.js';

function portFromEnv(kind: ExampleModuleKind): number {
  const name = `EXAMPLE_${kind.toUpperCase()}_PORT`;
  const raw = process.env[name];
  if (raw === undefined || raw === '') return EXAMPLE_PORTS[kind];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

const ports = Object.fromEntries(
  EXAMPLE_MODULE_KINDS.map((kind) => [kind, portFromEnv(kind)]),
) as Record<ExampleModuleKind, number>;
const modules = await startExampleModules({ ports, host: process.env.EXAMPLE_HOST || '127.0.0.1' });

for (const module of Object.values(modules)) {
  console.log(`${module.name.padEnd(10)} ${module.endpoint}  (spec: ${module.specUrl})`);
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(Object.values(modules).map((module) => module.close()));
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
