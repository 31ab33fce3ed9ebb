import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres.js';

/** The gateway as operators run it: `src/main.ts` in its own process, stopped with SIGTERM. */
describe('gateway process', () => {
  it('starts from the environment, serves, and exits 0 on SIGTERM after draining', async () => {
    const db = await createTestDatabase();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        EXAMPLES: 'false',
        MESHRC_PATH: 'none',
        LOG_LEVEL: 'warn',
        JWT_SECRET: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (c) => (out += String(c)));
      child.stderr.on('data', (c) => (out += String(c)));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 30_000);
        const check = () => {
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m && /Admin token: \S+/.test(out)) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      // Development mode: no key configured, so a token is printed and accepted.
      expect(out).toContain('DEVELOPMENT MODE');
      const token = /Admin token: (\S+)/.exec(out)![1]!;
      const status = await fetch(`${url}/admin/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(status.status).toBe(200);

      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000)),
      ]);
      expect(code, out.slice(-500)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await db.drop();
    }
  });

  it('refuses to start in production without a JWT key, listing the problem', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        JWT_SECRET: '',
        JWT_PUBLIC_KEY: '',
        JWKS_URL: '',
        PORT: 'x',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => (err += String(c)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('JWT_SECRET');
    expect(err).toContain('PORT');
  });
});
