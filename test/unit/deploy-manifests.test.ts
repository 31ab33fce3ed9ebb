/**
 * The deployment files (Dockerfile, .dockerignore, docker-compose.yml, deploy/compose,
 * deploy/k8s) checked against what the code really exposes: the default port of src/config.ts,
 * the environment variables parseConfig knows, the health routes a running gateway answers, the
 * build output of tsconfig.build.json, the example modules' ports. No Docker or cluster needed;
 * the probe paths are requested from a real gateway (PostgreSQL).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

import { EXAMPLE_PORTS, EXAMPLE_SPEC_PATH } from '../../examples/modules.js';
import { parseConfig } from '../../src/config.js';
import { readMeshrcSources } from '../../src/mesh/meshrc-sources.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

const DEFAULT_PORT = parseConfig({}).PORT;
/** The gateway's drain on shutdown: `close(drainMs = ...)` in the HTTP server (ms). */
const DRAIN_MS = (() => {
  const m = /close\(drainMs = ([\d_]+)\)/.exec(read('src/server/http-server.ts'));
  if (!m) throw new Error('drain default not found in src/server/http-server.ts');
  return Number(m[1]!.replace(/_/g, ''));
})();

// ---------------------------------------------------------------------------------- helpers

type Json = any; // manifests are free-form YAML

/**
 * Fails unless parseConfig accepts `env` and knows every name in it (zod strips unknown keys,
 * so a name missing from the parsed config is not a configuration variable).
 */
function expectGatewayEnv(env: Record<string, string>, where: string): void {
  let config: Record<string, unknown>;
  try {
    config = parseConfig(env) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: parseConfig rejects the environment: ${(err as Error).message}`);
  }
  const unknown = Object.keys(env).filter((name) => !(name in config));
  expect(unknown, `${where}: not configuration variables of src/config.ts`).toEqual([]);
}

interface DockerInstruction {
  op: string;
  args: string;
}

/** Dockerfile -> stages of instructions (continuations joined, comments dropped). */
function dockerStages(text: string): DockerInstruction[][] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (current && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const stages: DockerInstruction[][] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    if (ins.op === 'FROM') stages.push([]);
    stages.at(-1)?.push(ins);
  }
  return stages;
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) -> record. */
function dockerEnv(stage: DockerInstruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage) {
    if (op !== 'ENV') continue;
    if (!args.includes('=')) {
      const [k, ...v] = args.split(/\s+/);
      env[k!] = v.join(' ');
      continue;
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** `${VAR:-default}` -> default, `${VAR}` -> '' (what compose does with an empty shell). */
const interpolate = (value: string): string =>
  value.replace(
    /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g,
    (_, d: string | undefined) => d ?? '',
  );

/** Compose `environment` as a list or a map, interpolated. */
function composeEnv(environment: Json): Record<string, string> {
  const entries: Array<[string, string]> = Array.isArray(environment)
    ? environment.map((e: string) => {
        const i = e.indexOf('=');
        return [e.slice(0, i), e.slice(i + 1)] as [string, string];
      })
    : Object.entries(environment ?? {}).map(([k, v]) => [k, String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

/**
 * Localhost URLs a healthcheck command requests: `http://127.0.0.1:4000/health/ready`, or one
 * built as `'http://127.0.0.1:' + port + '/health/live'` (port 0 when not written literally).
 */
function localUrls(command: string): URL[] {
  const urls: URL[] = [];
  for (const m of command.matchAll(
    /http:\/\/(?:127\.0\.0\.1|localhost)(?::(\d+))?(\/[\w/.-]*)?/g,
  )) {
    const rest = command.slice(m.index + m[0].length);
    const pathname = m[2] ?? /^[^']*'[^']*'(\/[\w/.-]*)'/.exec(rest)?.[1];
    if (pathname) urls.push(new URL(`http://127.0.0.1:${m[1] ?? 0}${pathname}`));
  }
  return urls;
}

const hasLabels = (labels: Json, wanted: Json): boolean =>
  Object.entries(wanted ?? {}).every(([k, v]) => labels?.[k] === v);

async function meshrcSourcesOf(text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bifrost-meshrc-'));
  try {
    const file = path.join(dir, 'meshrc.yml');
    writeFileSync(file, text);
    return await readMeshrcSources(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every probe / healthcheck path the files point at the gateway; checked on a live gateway. */
const gatewayProbePaths = new Set<string>();

// --------------------------------------------------------------------------------- Dockerfile

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const runtime = stages.at(-1)!;
  const ops = (stage: DockerInstruction[], op: string) => stage.filter((i) => i.op === op);
  const buildStage = stages.find((s) => ops(s, 'RUN').some((r) => /npm run build/.test(r.args)));

  it('is multi-stage on Node 20 and builds with the package scripts', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0]!.args).toMatch(/^node:20(-slim|-alpine)?(\s|$)/);
    expect(buildStage, 'a stage runs npm run build').toBeDefined();
    const runs = ops(buildStage!, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toMatch(/npm ci/);
    expect(runs).toMatch(/npx prisma generate/);
    expect(dockerEnv(buildStage!)['PRISMA_SCHEMA_ENGINE_BINARY']).toBe('/bin/false');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build']).toContain('tsconfig.build.json');
    // The runtime stage must not carry dev dependencies.
    expect(runs).toMatch(/npm prune --omit=dev|npm ci[^\n]*--omit=dev/);
  });

  it('runs the compiled entry point that tsconfig.build.json produces', () => {
    const cmd = ops(runtime, 'CMD').at(-1)?.args ?? '';
    const argv = cmd.startsWith('[') ? (JSON.parse(cmd) as string[]) : cmd.split(/\s+/);
    expect(argv[0]).toBe('node');
    const entry = argv.find((a) => a.endsWith('.js'))!;
    const build = JSON.parse(read('tsconfig.build.json')) as {
      compilerOptions: Record<string, string>;
    };
    const base = JSON.parse(read('tsconfig.json')) as { compilerOptions: Record<string, string> };
    const outDir = build.compilerOptions['outDir'] ?? base.compilerOptions['outDir']!;
    const rootDir = build.compilerOptions['rootDir'] ?? base.compilerOptions['rootDir']!;
    expect(entry.startsWith(`${outDir}/`), `${entry} lies in outDir ${outDir}`).toBe(true);
    const source = path.join(rootDir, entry.slice(outDir.length + 1)).replace(/\.js$/, '.ts');
    expect(source).toBe('src/main.ts');
    expect(existsSync(path.join(ROOT, source))).toBe(true);
    // The runtime stage has what the compiled code reads at run time.
    const copies = ops(runtime, 'COPY')
      .map((c) => c.args)
      .join('\n');
    expect(copies).toMatch(new RegExp(`\\s/app/${outDir}\\s`));
    expect(copies).toMatch(/\s\/app\/node_modules\s/);
    expect(copies).toMatch(/\s\/app\/package\.json\s/); // "type": "module"
    expect(copies).toMatch(/\s\/app\/prisma\s/); // migrations applied at start-up
    expect(readdirSync(path.join(ROOT, 'prisma/migrations')).length).toBeGreaterThan(0);
  });

  it('runs as a non-root user in production mode', () => {
    const user = ops(runtime, 'USER').at(-1)?.args;
    expect(user, 'USER in the runtime stage').toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = dockerEnv(runtime);
    expect(env['NODE_ENV']).toBe('production');
    // Production needs a key: what compose and k8s provide.
    expectGatewayEnv({ ...env, JWT_SECRET: 'x'.repeat(32) }, 'Dockerfile ENV');
  });

  it('exposes the configured port and health-checks a live route', () => {
    const env = dockerEnv(runtime);
    const port = env['PORT'] ? Number(env['PORT']) : DEFAULT_PORT;
    expect(port).toBe(DEFAULT_PORT);
    expect(
      ops(runtime, 'EXPOSE')
        .flatMap((e) => e.args.split(/\s+/))
        .map((p) => Number(p.split('/')[0])),
    ).toEqual([DEFAULT_PORT]);
    const healthcheck = ops(runtime, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(healthcheck).toMatch(/CMD/);
    expect(healthcheck).not.toMatch(/\bcurl\b|\bwget\b/); // not in node:20-slim
    const urls = localUrls(healthcheck);
    expect(urls.length).toBe(1);
    expect(healthcheck).toContain(`|| ${DEFAULT_PORT})`); // fallback port when PORT is unset
    gatewayProbePaths.add(urls[0]!.pathname);
  });

  it('.dockerignore keeps local state out but not what the Dockerfile copies', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['node_modules', '.env', 'dist', '.data', '.git'])
      expect(ignored).toContain(must);
    const fromContext = stages
      .flatMap((s) => ops(s, 'COPY'))
      .filter((c) => !c.args.includes('--from='))
      .flatMap((c) =>
        c.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(fromContext.length).toBeGreaterThan(0);
    for (const file of fromContext) {
      expect(existsSync(path.join(ROOT, file)), `${file} exists`).toBe(true);
      expect(ignored, `${file} is copied but ignored`).not.toContain(file);
    }
  });
});

// ------------------------------------------------------------------------------ docker-compose

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as Json;
  const services: Record<string, Json> = compose.services;
  const isExamples = (s: Json) =>
    JSON.stringify(s.command ?? '').includes('examples/run-examples.ts');
  const gateways = Object.entries(services).filter(([, s]) => s.build !== undefined && !s.command);
  const examples = Object.entries(services).find(([, s]) => isExamples(s));
  const serviceWithImage = (re: RegExp) =>
    Object.entries(services).find(([, s]) => re.test(String(s.image)));

  it('runs two gateway replicas on different host ports, container port = config default', () => {
    expect(gateways.length).toBe(2);
    const hostPorts = gateways.map(([name, s]) => {
      expect(s.ports, name).toHaveLength(1);
      const [host, container] = String(s.ports[0]).split(':').slice(-2);
      expect(Number(container), `${name} container port`).toBe(DEFAULT_PORT);
      const env = composeEnv(s.environment);
      if (env['PORT']) expect(Number(env['PORT'])).toBe(DEFAULT_PORT);
      return host;
    });
    expect(new Set(hostPorts).size).toBe(2);
  });

  it('wires only configuration variables, with values parseConfig accepts', () => {
    for (const [name, s] of gateways) {
      const env = composeEnv(s.environment);
      expectGatewayEnv(env, `compose ${name}`);
      for (const key of ['DATABASE_URL', 'AMQP_URL', 'JWT_SECRET', 'MESHRC_PATH'])
        expect(env[key], key).toBeTruthy();
      expect(env['EXAMPLES']).toBe('false');
      expect(new URL(env['DATABASE_URL']!).hostname).toBe(serviceWithImage(/^postgres:15/)?.[0]);
      expect(new URL(env['AMQP_URL']!).hostname).toBe(serviceWithImage(/^rabbitmq:3/)?.[0]);
    }
  });

  it('mounts a meshrc whose sources reach the example modules by service name', async () => {
    expect(examples, 'a service runs examples/run-examples.ts').toBeDefined();
    const [examplesName, examplesService] = examples!;
    const examplesEnv = composeEnv(examplesService.environment);
    // Listening on 127.0.0.1 would be unreachable from the gateway containers.
    expect(examplesEnv['EXAMPLE_HOST']).toBe('0.0.0.0');
    const runExamples = read('examples/run-examples.ts');
    for (const name of Object.keys(examplesEnv)) {
      expect(runExamples.includes(name) || /^EXAMPLE_[A-Z]+_PORT$/.test(name), name).toBe(true);
    }
    const published = (examplesService.ports ?? []).map((p: string) =>
      Number(String(p).split(':').at(-1)),
    );
    expect(published.sort()).toEqual(Object.values(EXAMPLE_PORTS).sort());

    for (const [name, s] of gateways) {
      const meshrcPath = composeEnv(s.environment)['MESHRC_PATH']!;
      const mount = (s.volumes as string[])
        .map((v) => v.split(':'))
        .find((v) => v[1] === meshrcPath);
      expect(mount, `${name}: a volume is mounted at MESHRC_PATH ${meshrcPath}`).toBeDefined();
      expect(path.normalize(mount![0]!)).toBe('deploy/compose/meshrc.yml');
    }
    const { sources, problems } = await readMeshrcSources(
      path.join(ROOT, 'deploy/compose/meshrc.yml'),
    );
    expect(problems).toEqual([]);
    expect(sources.map((s) => s.name).sort()).toEqual(Object.keys(EXAMPLE_PORTS).sort());
    for (const source of sources) {
      for (const url of [source.endpoint, source.specSource!]) {
        const u = new URL(url);
        expect(u.hostname, `${source.name}: ${url}`).toBe(examplesName);
        expect(Number(u.port)).toBe(EXAMPLE_PORTS[source.name as keyof typeof EXAMPLE_PORTS]);
      }
      expect(new URL(source.specSource!).pathname).toBe(EXAMPLE_SPEC_PATH);
    }
  });

  it('health-checks every service and starts the gateways after their dependencies', () => {
    for (const [name, s] of Object.entries(services))
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
    for (const [name, s] of gateways) {
      const test = [s.healthcheck.test].flat().join(' ');
      expect(test).not.toMatch(/\bcurl\b|\bwget\b/);
      const urls = localUrls(test);
      expect(urls.length, name).toBe(1);
      expect(Number(urls[0]!.port || 80)).toBe(DEFAULT_PORT);
      gatewayProbePaths.add(urls[0]!.pathname);
      const deps = s.depends_on as Record<string, { condition: string }>;
      for (const dep of [
        serviceWithImage(/^postgres:15/)![0],
        serviceWithImage(/^rabbitmq:3/)![0],
        examples![0],
      ]) {
        expect(deps[dep]?.condition, `${name} waits for ${dep}`).toBe('service_healthy');
      }
      const grace = /^(\d+)s$/.exec(String(s.stop_grace_period));
      expect(Number(grace?.[1]) * 1000).toBeGreaterThan(DRAIN_MS);
    }
    const examplesTest = [examples![1].healthcheck.test].flat().join(' ');
    expect(examplesTest).toContain(EXAMPLE_SPEC_PATH);
  });
});

// ------------------------------------------------------------------------------------- k8s

describe('deploy/k8s', () => {
  const dir = path.join(ROOT, 'deploy/k8s');
  const kustomization = parseYaml(read('deploy/k8s/kustomization.yaml')) as Json;
  const docs: Json[] = (kustomization.resources as string[])
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => {
        if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
        return d.toJS() as Json;
      }),
    )
    .filter(Boolean);
  const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const byName = (kind: string, name: string) => ofKind(kind).find((d) => d.metadata.name === name);
  const deployments = ofKind('Deployment');
  // The gateway runs the image's CMD; other Deployments (the examples) set a command.
  const gatewayDeployments = deployments.filter((d) => !d.spec.template.spec.containers[0].command);
  const gateway = gatewayDeployments[0];
  const pod = gateway?.spec.template.spec;
  const container = pod?.containers[0];

  /** Environment of the gateway container: envFrom ConfigMaps/Secrets, then env. */
  const gatewayEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) {
        const cm = byName('ConfigMap', from.configMapRef.name);
        expect(cm, `ConfigMap ${from.configMapRef.name}`).toBeDefined();
        Object.assign(env, cm.data);
      }
      if (from.secretRef) {
        const secret = byName('Secret', from.secretRef.name);
        expect(secret, `Secret ${from.secretRef.name}`).toBeDefined();
        Object.assign(env, secret.stringData ?? {});
        for (const [k, v] of Object.entries(secret.data ?? {}))
          env[k] = Buffer.from(String(v), 'base64').toString();
      }
    }
    for (const e of container.env ?? []) env[e.name] = e.value ?? 'from-ref';
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  };

  it('kustomization lists every manifest of the folder', () => {
    const files = readdirSync(dir).filter(
      (f) => /\.ya?ml$/.test(f) && !f.startsWith('kustomization'),
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('has one gateway Deployment with 2 replicas, resources and a non-root security context', () => {
    expect(gatewayDeployments).toHaveLength(1);
    expect(gateway.apiVersion).toBe('apps/v1');
    expect(gateway.spec.replicas).toBe(2);
    expect(
      hasLabels(gateway.spec.template.metadata.labels, gateway.spec.selector.matchLabels),
    ).toBe(true);
    for (const kind of ['requests', 'limits']) {
      expect(container.resources?.[kind]?.cpu, `${kind}.cpu`).toBeDefined();
      expect(container.resources?.[kind]?.memory, `${kind}.memory`).toBeDefined();
    }
    const runAsNonRoot =
      container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    expect(runAsNonRoot).toBe(true);
    expect(runAsUser).toBeGreaterThan(0);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
  });

  it('serves on the config default port and probes live routes on it', () => {
    const port = container.ports.find((p: Json) => p.containerPort === DEFAULT_PORT);
    expect(port, `containerPort ${DEFAULT_PORT}`).toBeDefined();
    const env = gatewayEnv();
    if (env['PORT']) expect(Number(env['PORT'])).toBe(DEFAULT_PORT);
    expect(container.livenessProbe?.httpGet, 'livenessProbe').toBeDefined();
    expect(container.readinessProbe?.httpGet, 'readinessProbe').toBeDefined();
    // Restarting on readiness would kill a replica that is only draining or rebuilding.
    expect(container.livenessProbe.httpGet.path).not.toBe(container.readinessProbe.httpGet.path);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const get = container[probe]?.httpGet;
      if (!get) continue;
      expect([port.name, DEFAULT_PORT], `${probe} port`).toContain(get.port);
      gatewayProbePaths.add(get.path);
    }
  });

  it('takes its environment from a ConfigMap and a Secret parseConfig accepts', () => {
    const env = gatewayEnv();
    const refs = (container.envFrom ?? []).map((f: Json) => Object.keys(f)[0]);
    expect(refs).toContain('configMapRef');
    expect(refs).toContain('secretRef');
    expectGatewayEnv(env, 'k8s gateway');
    expect(env['NODE_ENV']).toBe('production');
    const secret = byName(
      'Secret',
      container.envFrom.find((f: Json) => f.secretRef).secretRef.name,
    );
    const secretKeys = Object.keys({ ...secret.stringData, ...secret.data });
    for (const key of ['JWT_SECRET', 'DATABASE_URL', 'AMQP_URL']) expect(secretKeys).toContain(key);
  });

  it('mounts the meshrc ConfigMap at MESHRC_PATH, with sources reaching Services', async () => {
    const meshrcPath = gatewayEnv()['MESHRC_PATH']!;
    expect(meshrcPath).toMatch(/^\//);
    const mounts = (container.volumeMounts ?? []) as Json[];
    const mount =
      mounts.find((m) => m.subPath && m.mountPath === meshrcPath) ??
      mounts.find((m) => !m.subPath && m.mountPath === path.posix.dirname(meshrcPath));
    expect(mount, `a volume mounted at ${meshrcPath}`).toBeDefined();
    const volume = pod.volumes.find((v: Json) => v.name === mount.name);
    expect(volume?.configMap, 'the mounted volume is a ConfigMap').toBeDefined();
    const fileName = mount.subPath ?? path.posix.basename(meshrcPath);
    const item = (volume.configMap.items ?? []).find((i: Json) => i.path === fileName);
    const key = item?.key ?? fileName;
    const cm = byName('ConfigMap', volume.configMap.name);
    expect(cm?.data?.[key], `ConfigMap ${volume.configMap.name} has key ${key}`).toBeDefined();

    const { sources, problems } = await meshrcSourcesOf(cm.data[key]);
    expect(problems).toEqual([]);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      for (const url of [source.endpoint, source.specSource!]) {
        const u = new URL(url);
        const service = byName('Service', u.hostname.split('.')[0]!);
        expect(service, `${source.name}: Service ${u.hostname}`).toBeDefined();
        expect(service.spec.ports.map((p: Json) => p.port)).toContain(Number(u.port || 80));
      }
    }
  });

  it('gives the gateway more time to stop than its drain takes', () => {
    const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
    const preStopSec = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(DRAIN_MS + preStopSec * 1000);
  });

  it('routes the Service to the gateway pods only', () => {
    const service = ofKind('Service').find((s) =>
      hasLabels(gateway.spec.template.metadata.labels, s.spec.selector),
    );
    expect(service, 'a Service selects the gateway pods').toBeDefined();
    for (const other of deployments.filter((d) => d !== gateway)) {
      expect(hasLabels(other.spec.template.metadata.labels, service.spec.selector)).toBe(false);
    }
    for (const p of service.spec.ports) {
      const target = container.ports.find(
        (c: Json) => c.name === p.targetPort || c.containerPort === p.targetPort,
      );
      expect(target?.containerPort, `targetPort ${p.targetPort}`).toBe(DEFAULT_PORT);
    }
  });

  it('autoscales the gateway Deployment with autoscaling/v2', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    expect(hpas).toHaveLength(1);
    const hpa = hpas[0];
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: gateway.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
    expect(container.resources.requests.cpu, 'CPU utilization needs a CPU request').toBeDefined();
  });

  it('runs the example modules reachable from other pods', () => {
    const examples = deployments.find((d) =>
      JSON.stringify(d.spec.template.spec.containers[0].command ?? '').includes(
        'examples/run-examples.ts',
      ),
    );
    if (!examples) return; // optional demo
    const c = examples.spec.template.spec.containers[0];
    expect(c.env.find((e: Json) => e.name === 'EXAMPLE_HOST')?.value).toBe('0.0.0.0');
    expect(c.ports.map((p: Json) => p.containerPort).sort()).toEqual(
      Object.values(EXAMPLE_PORTS).sort(),
    );
  });
});

// ---------------------------------------------------------------- probe paths on a real gateway

describe('probe paths', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('every probe and healthcheck path answers 200 without a token', async () => {
    // Filled by the tests above (same file, run in order).
    expect(
      [...gatewayProbePaths].sort(),
      'paths are collected by the tests above: run the whole file',
    ).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    for (const probe of gatewayProbePaths) {
      const res = await gw.call(probe, { token: null });
      expect(res.status, probe).toBe(200);
    }
  });
});
