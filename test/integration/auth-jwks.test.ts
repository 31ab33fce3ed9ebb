import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BifrostError } from '../../src/core/errors.js';
import { createAuthenticator, type Authenticator } from '../../src/server/auth.js';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    alg: 'RS256',
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    alg: 'ES256',
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  };
}

const sign = (key: SigningKey, sub: string) =>
  jwt.sign({ sub }, key.privateKey, { algorithm: key.alg, keyid: key.kid, expiresIn: 300 });

/** A real JWKS endpoint on port 0; `keys` can be swapped to simulate rotation. */
interface JwksServer {
  url: string;
  requests: number;
  keys: SigningKey[];
  status: number;
}

const servers: Server[] = [];

async function startJwksServer(keys: SigningKey[]): Promise<JwksServer> {
  const state: JwksServer = { url: '', requests: 0, keys, status: 200 };
  const server = createServer((_req, res) => {
    state.requests += 1;
    if (state.status !== 200) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(
    servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
});

async function refusal(auth: Authenticator, token: string): Promise<BifrostError> {
  const err = await auth.authenticate(`Bearer ${token}`).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BifrostError);
  expect((err as BifrostError).code).toBe('UNAUTHENTICATED');
  return err as BifrostError;
}

describe('JWKS', () => {
  it('verifies RS256 and ES256 tokens by kid and fetches the set once', async () => {
    const rs = rsaKey('rs-1');
    const es = ecKey('es-1');
    const jwks = await startJwksServer([rs, es]);
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    await expect(auth.authenticate(`Bearer ${sign(rs, 'alice')}`)).resolves.toMatchObject({
      subject: 'alice',
    });
    await expect(auth.authenticate(`Bearer ${sign(es, 'bob')}`)).resolves.toMatchObject({
      subject: 'bob',
    });
    await expect(auth.authenticate(`Bearer ${sign(rs, 'carol')}`)).resolves.toMatchObject({
      subject: 'carol',
    });
    expect(jwks.requests).toBe(1);
  });

  it('fetches once for concurrent first requests', async () => {
    const rs = rsaKey('rs-1');
    const jwks = await startJwksServer([rs]);
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((sub) => auth.authenticate(`Bearer ${sign(rs, sub)}`)),
    );
    expect(results.map((p) => p.subject)).toEqual(['a', 'b', 'c', 'd']);
    expect(jwks.requests).toBe(1);
  });

  it('accepts a token with the new kid after the provider rotates its keys', async () => {
    const oldKey = rsaKey('2024-old');
    const newKey = rsaKey('2025-new');
    const jwks = await startJwksServer([oldKey]);
    const auth = createAuthenticator({ jwksUrl: jwks.url, jwksRefetchCooldownSec: 0 });
    await auth.authenticate(`Bearer ${sign(oldKey, 'before')}`);

    jwks.keys = [newKey];
    await expect(auth.authenticate(`Bearer ${sign(newKey, 'after')}`)).resolves.toMatchObject({
      subject: 'after',
    });
    expect(jwks.requests).toBe(2);
  });

  it('refetches for an unknown kid at most once per 30 s by default', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const oldKey = rsaKey('old');
    const newKey = rsaKey('new');
    const jwks = await startJwksServer([oldKey]);
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    await auth.authenticate(`Bearer ${sign(oldKey, 'first')}`);
    jwks.keys = [oldKey, newKey];

    // Within the cooldown the unknown kid is refused without hitting the provider.
    const err = await refusal(auth, sign(newKey, 'too-early'));
    expect(err.message).toMatch(/unknown signing key id 'new'/i);
    await refusal(auth, sign(newKey, 'still-early'));
    expect(jwks.requests).toBe(1);

    vi.setSystemTime(Date.now() + 31_000);
    await expect(auth.authenticate(`Bearer ${sign(newKey, 'later')}`)).resolves.toMatchObject({
      subject: 'later',
    });
    expect(jwks.requests).toBe(2);
  });

  it('refuses a kid the provider does not publish, even after a refetch', async () => {
    const published = rsaKey('published');
    const unpublished = rsaKey('unpublished');
    const jwks = await startJwksServer([published]);
    const auth = createAuthenticator({ jwksUrl: jwks.url, jwksRefetchCooldownSec: 0 });
    const err = await refusal(auth, sign(unpublished, 'mallory'));
    expect(err.message).toMatch(/unknown signing key id 'unpublished'/i);
  });

  it('refuses a token whose kid is published but whose signature is from another key', async () => {
    const published = rsaKey('k1');
    const impostor = { ...rsaKey('k1') };
    const jwks = await startJwksServer([published]);
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    const err = await refusal(auth, sign(impostor, 'mallory'));
    expect(err.message).toMatch(/invalid token signature/i);
  });

  it('refuses HS256 tokens when only a JWKS is configured', async () => {
    const jwks = await startJwksServer([rsaKey('k1')]);
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    const token = jwt.sign({ sub: 'x' }, 'whatever-secret', { algorithm: 'HS256', keyid: 'k1' });
    expect((await refusal(auth, token)).message).toMatch(/'HS256' is not allowed/);
    expect(jwks.requests).toBe(0);
  });

  it('says the keys are unavailable when the JWKS endpoint fails', async () => {
    const key = rsaKey('k1');
    const jwks = await startJwksServer([key]);
    jwks.status = 500;
    const auth = createAuthenticator({ jwksUrl: jwks.url });
    expect((await refusal(auth, sign(key, 'alice'))).message).toMatch(/unavailable/i);
  });

  it('keeps using the cached keys when a refresh after the TTL fails', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const key = rsaKey('k1');
    const jwks = await startJwksServer([key]);
    const auth = createAuthenticator({ jwksUrl: jwks.url, jwksCacheTtlSec: 60 });
    await auth.authenticate(`Bearer ${sign(key, 'before')}`);
    jwks.status = 503;
    vi.setSystemTime(Date.now() + 61_000);
    await expect(auth.authenticate(`Bearer ${sign(key, 'after')}`)).resolves.toMatchObject({
      subject: 'after',
    });
    expect(jwks.requests).toBe(2);
  });
});
