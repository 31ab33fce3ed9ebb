/**
 * Child processes of the benchmark: every server (gateway, modules, Hive Gateway, spec server)
 * and the load generator run in processes of their own, so no measured server shares an event
 * loop with the load that measures it. Every child started here is tracked and stopped by its
 * own pid when the run ends.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const children = new Set<ChildProcess>();
// Never leave a server behind, even when the run crashes.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Stops every child this process started (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...children].map((c) => stop(c, graceMs)));
}

/** Stops one child by its pid: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export function stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A free TCP port on 127.0.0.1 (the OS picks it; released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TypeScript file of this harness in a child with an IPC channel (run through tsx). */
export function forkTs(
  file: string,
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): ChildProcess {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  return child;
}

/** Any command in a child (no IPC); output is kept for error messages. */
export function spawnProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; echo?: boolean } = {},
): ChildProcess & { output: () => string } {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (options.echo) process.stderr.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return Object.assign(child, { output: () => output });
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** The first IPC message of `child` that `accept` maps to a value (rejects if the child exits). */
export function waitForMessage<T>(
  child: ChildProcess,
  accept: (msg: any) => T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: unknown) => {
      const value = accept(msg);
      if (value !== undefined) {
        cleanup();
        resolve(value);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (code ${code}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer from child within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

let nextId = 1;

/** Request/response over IPC: sends `{ id, ...message }`, resolves with the reply carrying the id. */
export async function ask<T>(
  child: ChildProcess,
  message: Record<string, unknown>,
  timeoutMs = 600_000,
): Promise<T> {
  const id = nextId++;
  const reply = waitForMessage(child, (m) => (m && m.id === id ? m : undefined), timeoutMs);
  child.send({ ...message, id });
  const r = (await reply) as { error?: string; result: T };
  if (r.error) throw new Error(r.error);
  return r.result;
}

/** Polls `url` until it answers 200 (or throws after `timeoutMs`). */
export async function waitForHttp(
  url: string,
  options: {
    timeoutMs?: number;
    headers?: Record<string, string>;
    child?: ChildProcess & { output?: () => string };
  } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last = '';
  while (Date.now() < deadline) {
    if (options.child && options.child.exitCode !== null) {
      throw new Error(
        `process exited (code ${options.child.exitCode}) while waiting for ${url}\n${options.child.output?.() ?? ''}`,
      );
    }
    try {
      const res = await fetch(url, { headers: options.headers ?? {} });
      if (res.status === 200) {
        await res.arrayBuffer();
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready: ${last}\n${options.child?.output?.() ?? ''}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
