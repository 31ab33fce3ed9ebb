import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ModuleInput } from '../core/types.js';
import { moduleNameProblem } from '../core/names.js';

/** A `.meshrc.yml` source that the gateway registers at start-up. */
export interface MeshrcSource extends ModuleInput {
  /** The OpenAPI handler's `endpoint` exactly as written (Mesh includes the base path in it). */
  meshEndpoint: string;
}

/**
 * Reads the OpenAPI sources of a `.meshrc.yml`. The file stays usable by the Mesh CLI
 * (`mesh build`); the gateway only takes each source's name, spec location and endpoint.
 * Returns `{ sources, problems }`: a source it cannot use is reported, never fatal.
 */
export async function readMeshrcSources(
  file: string,
): Promise<{ sources: MeshrcSource[]; problems: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { sources: [], problems: [] };
    throw err;
  }
  const doc = parseYaml(text) as { sources?: unknown } | null;
  const dir = path.dirname(path.resolve(file));
  const problems: string[] = [];
  const sources: MeshrcSource[] = [];
  const list = Array.isArray(doc?.sources) ? doc.sources : [];
  for (const [i, raw] of list.entries()) {
    const s = raw as {
      name?: unknown;
      handler?: { openapi?: { source?: unknown; endpoint?: unknown } };
    };
    const name = typeof s?.name === 'string' ? s.name : '';
    const openapi = s?.handler?.openapi;
    if (!openapi) {
      problems.push(`sources[${i}] (${name || 'unnamed'}): only the openapi handler is supported`);
      continue;
    }
    const nameProblem = moduleNameProblem(name);
    if (nameProblem) {
      problems.push(`sources[${i}]: ${nameProblem}`);
      continue;
    }
    const source = typeof openapi.source === 'string' ? openapi.source : '';
    if (!source) {
      problems.push(`sources[${i}] (${name}): handler.openapi.source is required`);
      continue;
    }
    const isUrl = /^https?:\/\//i.test(source);
    let endpoint = typeof openapi.endpoint === 'string' ? openapi.endpoint.replace(/\/+$/, '') : '';
    if (!endpoint && isUrl) endpoint = new URL(source).origin;
    if (!/^https?:\/\//i.test(endpoint)) {
      problems.push(`sources[${i}] (${name}): handler.openapi.endpoint must be an http(s) URL`);
      continue;
    }
    sources.push({
      name,
      endpoint,
      meshEndpoint: endpoint,
      docsPath: '/docs',
      specSource: isUrl ? source : path.resolve(dir, source),
      origin: 'meshrc',
      enabled: true,
    });
  }
  return { sources, problems };
}

/**
 * Mesh's `endpoint` includes the spec's base path; the registry's does not (calls go to
 * `endpoint + basePath + path`). Strips the base path when the endpoint ends with it.
 */
export function registryEndpoint(meshEndpoint: string, basePath: string): string {
  if (basePath && basePath !== '/' && meshEndpoint.endsWith(basePath)) {
    return meshEndpoint.slice(0, -basePath.length);
  }
  return meshEndpoint;
}
