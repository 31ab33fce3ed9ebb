import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import {
  EXAMPLE_BASE_PATHS,
  EXAMPLE_MODULE_KINDS,
  EXAMPLE_PORTS,
  EXAMPLE_SPEC_FILES,
} from '../../examples/modules.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

interface MeshRc {
  sources: { name: string; handler: { openapi: { source: string; endpoint: string } } }[];
}

describe('.meshrc.yml', () => {
  it('lists the four example modules with the ports and base paths they listen on', async () => {
    const config = parseYaml(await readFile(join(root, '.meshrc.yml'), 'utf8')) as MeshRc;
    expect(config.sources).toHaveLength(EXAMPLE_MODULE_KINDS.length);
    for (const kind of EXAMPLE_MODULE_KINDS) {
      const source = config.sources.find((entry) => entry.name === kind);
      expect(source, kind).toBeDefined();
      expect(source!.handler.openapi).toEqual({
        source: `./examples/specs/${EXAMPLE_SPEC_FILES[kind]}`,
        endpoint: `http://localhost:${EXAMPLE_PORTS[kind]}${EXAMPLE_BASE_PATHS[kind]}`,
      });
    }
  });

  // `mesh build` reads only the spec files (no module needs to run) and takes about 4 s here.
  // It runs in a temporary copy so the repository's own `.mesh/` is left alone.
  it('builds offline with `mesh build`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bifrost-mesh-'));
    try {
      await cp(join(root, '.meshrc.yml'), join(dir, '.meshrc.yml'));
      await cp(join(root, 'examples', 'specs'), join(dir, 'examples', 'specs'), {
        recursive: true,
      });
      // Mesh loads its handlers (`@graphql-mesh/openapi`) relative to the config directory.
      await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');

      const bin = join(root, 'node_modules', '@graphql-mesh', 'cli', 'cjs', 'bin.js');
      const { stdout, stderr } = await run(process.execPath, [bin, 'build', '--dir', dir], {
        cwd: dir,
        env: { ...process.env, NODE_ENV: 'development' },
        timeout: 60_000,
      });
      expect(`${stdout}${stderr}`).toContain('Done!');

      const schema = await readFile(join(dir, '.mesh', 'schema.graphql'), 'utf8');
      for (const field of [
        'listCustomers(',
        'getCustomer(id: Int!): Customer',
        'createCustomer(input: CustomerInput_Input): Customer',
        'listOrders(',
        'createOrder(input: OrderInput_Input): Order',
        'listProducts(',
        'getProduct(id: Int!): Product',
        'listDocuments(',
      ]) {
        expect(schema, field).toContain(field);
      }
      // Batch operations take id lists, serialized as csv for the OpenAPI 3 modules.
      expect(schema).toMatch(/listCustomers\(\s*(?:"""[^"]*"""\s*)?ids: \[Int\]/);
      expect(schema).toMatch(/customerIds: \[Int\]/);
      expect(schema).toContain('\\"customerIds\\":{\\"arrayFormat\\":\\"comma\\"}');
      // Named enums from the specs, not generated names.
      expect(schema).toContain('enum CustomerTier');
      expect(schema).toContain('enum OrderStatus');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
