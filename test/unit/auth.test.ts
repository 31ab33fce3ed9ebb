import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BifrostError } from '../../src/core/errors.js';
import {
  createAuthenticator,
  createDevelopmentCredentials,
  signToken,
  type Authenticator,
} from '../../src/server/auth.js';

const SECRET = 'unit-test-secret-that-is-long-enough';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPublicPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Resolves to the refusal, failing the test when the header is accepted. */
async function refusal(auth: Authenticator, header: string | undefined): Promise<BifrostError> {
  const err = await auth.authenticate(header).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BifrostError);
  const bifrostError = err as BifrostError;
  expect(bifrostError.code).toBe('UNAUTHENTICATED');
  expect(bifrostError.status).toBe(401);
  return bifrostError;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createAuthenticator: refusals', () => {
  const auth = createAuthenticator({
    secret: SECRET,
    issuer: 'bifrost-tests',
    audience: 'bifrost',
  });
  const good = (claims: Record<string, unknown> = {}, secret = SECRET) =>
    signToken(
      secret,
      { sub: 'alice', ...claims },
      { issuer: 'bifrost-tests', audience: 'bifrost' },
    );

  it('accepts a valid token', async () => {
    const principal = await auth.authenticate(`Bearer ${good()}`);
    expect(principal.subject).toBe('alice');
  });

  it('refuses each bad token with its own readable reason', async () => {
    const valid = good();
    const [h, p, s] = valid.split('.');
    const tampered = `${h}.${b64({ ...jwt.decode(valid, { json: true }), sub: 'mallory' })}.${s}`;
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      notBearer: `Basic ${Buffer.from('alice:pw').toString('base64')}`,
      malformed: 'Bearer not-a-jwt',
      algNone: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      algNotAllowed: `Bearer ${jwt.sign({ sub: 'alice' }, SECRET, { algorithm: 'HS512', issuer: 'bifrost-tests', audience: 'bifrost' })}`,
      wrongKey: `Bearer ${good({}, 'another-secret-entirely-different')}`,
      expired: `Bearer ${good({ exp: now() - 120 })}`,
      notYetValid: `Bearer ${good({ nbf: now() + 120 })}`,
      wrongIssuer: `Bearer ${signToken(SECRET, { sub: 'alice' }, { issuer: 'evil', audience: 'bifrost' })}`,
      wrongAudience: `Bearer ${signToken(SECRET, { sub: 'alice' }, { issuer: 'bifrost-tests', audience: 'other' })}`,
      tampered: `Bearer ${tampered}`,
    };
    const messages: Record<string, string> = {};
    for (const [name, header] of Object.entries(cases)) {
      messages[name] = (await refusal(auth, header)).message;
    }
    expect(messages['missing']).toMatch(/missing authorization header/i);
    expect(messages['notBearer']).toMatch(/bearer scheme/i);
    expect(messages['malformed']).toMatch(/malformed/i);
    expect(messages['algNone']).toMatch(/alg 'none'/);
    expect(messages['algNotAllowed']).toMatch(/'HS512' is not allowed/);
    expect(messages['wrongKey']).toMatch(/invalid token signature/i);
    expect(messages['expired']).toMatch(/expired at/i);
    expect(messages['notYetValid']).toMatch(/not valid before/i);
    expect(messages['wrongIssuer']).toMatch(/issuer/i);
    expect(messages['wrongAudience']).toMatch(/audience/i);
    // A tampered payload keeps the original signature, which no longer matches.
    expect(messages['tampered']).toMatch(/invalid token signature/i);
    const distinct = new Set(
      Object.entries(messages)
        .filter(([n]) => n !== 'tampered')
        .map(([, m]) => m),
    );
    expect(distinct.size).toBe(Object.keys(messages).length - 1);
  });

  it('refuses an empty bearer token and a JWT-shaped string with a broken header', async () => {
    expect((await refusal(auth, 'Bearer ')).message).toMatch(/empty/i);
    expect((await refusal(auth, 'Bearer a.b.c')).message).toMatch(/malformed/i);
  });

  it('accepts the scheme case-insensitively', async () => {
    await expect(auth.authenticate(`bearer ${good()}`)).resolves.toMatchObject({
      subject: 'alice',
    });
  });

  it('never caches a failure: the same bad token is refused again', async () => {
    const expired = `Bearer ${good({ exp: now() - 120 })}`;
    await refusal(auth, expired);
    await refusal(auth, expired);
  });
});

describe('clock tolerance', () => {
  it('accepts a token that expired 10 s ago with the default 30 s tolerance', async () => {
    const auth = createAuthenticator({ secret: SECRET });
    const token = signToken(SECRET, { sub: 'alice', exp: now() - 10 });
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refuses it when the tolerance is 0', async () => {
    const auth = createAuthenticator({ secret: SECRET, clockToleranceSec: 0 });
    const token = signToken(SECRET, { sub: 'alice', exp: now() - 10 });
    expect((await refusal(auth, `Bearer ${token}`)).message).toMatch(/expired/i);
  });

  it('accepts nbf slightly in the future but not beyond the tolerance', async () => {
    const auth = createAuthenticator({ secret: SECRET });
    const soon = signToken(SECRET, { sub: 'alice', nbf: now() + 10 });
    await expect(auth.authenticate(`Bearer ${soon}`)).resolves.toMatchObject({ subject: 'alice' });
    const later = signToken(SECRET, { sub: 'alice', nbf: now() + 60 });
    expect((await refusal(auth, `Bearer ${later}`)).message).toMatch(/not valid before/i);
  });
});

describe('public keys', () => {
  it('accepts RS256 and PS256 with an RSA public key', async () => {
    const auth = createAuthenticator({ publicKey: rsaPublicPem });
    for (const algorithm of ['RS256', 'PS256'] as const) {
      const token = jwt.sign({ sub: `rsa-${algorithm}` }, rsa.privateKey, {
        algorithm,
        expiresIn: 60,
      });
      await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({
        subject: `rsa-${algorithm}`,
      });
    }
  });

  it('accepts ES256 with an EC public key and refuses an RS256 token against it', async () => {
    const auth = createAuthenticator({ publicKey: ecPublicPem });
    const token = jwt.sign({ sub: 'ec' }, ec.privateKey, { algorithm: 'ES256', expiresIn: 60 });
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'ec' });
    const rsToken = jwt.sign({ sub: 'rsa' }, rsa.privateKey, { algorithm: 'RS256', expiresIn: 60 });
    expect((await refusal(auth, `Bearer ${rsToken}`)).message).toMatch(/does not fit/i);
  });

  it('refuses an RS256 token signed with another private key', async () => {
    const auth = createAuthenticator({ publicKey: rsaPublicPem });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = jwt.sign({ sub: 'x' }, other.privateKey, { algorithm: 'RS256', expiresIn: 60 });
    expect((await refusal(auth, `Bearer ${token}`)).message).toMatch(/invalid token signature/i);
  });

  it('refuses HS/RS confusion: an HS256 token keyed with the public key PEM', async () => {
    const auth = createAuthenticator({ publicKey: rsaPublicPem });
    const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', exp: now() + 60 })}`;
    const signature = createHmac('sha256', rsaPublicPem).update(signingInput).digest('base64url');
    const message = (await refusal(auth, `Bearer ${signingInput}.${signature}`)).message;
    expect(message).toMatch(/'HS256' is not allowed/);
  });

  it('refuses an RS256 token when only a secret is configured', async () => {
    const auth = createAuthenticator({ secret: SECRET });
    const token = jwt.sign({ sub: 'x' }, rsa.privateKey, { algorithm: 'RS256', expiresIn: 60 });
    expect((await refusal(auth, `Bearer ${token}`)).message).toMatch(/'RS256' is not allowed/);
  });

  it('verifies HS and RS tokens against their own key when both are configured', async () => {
    const auth = createAuthenticator({ secret: SECRET, publicKey: rsaPublicPem });
    const rs = jwt.sign({ sub: 'rs' }, rsa.privateKey, { algorithm: 'RS256', expiresIn: 60 });
    await expect(auth.authenticate(`Bearer ${rs}`)).resolves.toMatchObject({ subject: 'rs' });
    await expect(
      auth.authenticate(`Bearer ${signToken(SECRET, { sub: 'hs' })}`),
    ).resolves.toMatchObject({ subject: 'hs' });
    const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory' })}`;
    const forged = createHmac('sha256', rsaPublicPem).update(signingInput).digest('base64url');
    expect((await refusal(auth, `Bearer ${signingInput}.${forged}`)).message).toMatch(/signature/i);
  });
});

describe('configuration errors', () => {
  it('throws without a key source', () => {
    expect(() => createAuthenticator({})).toThrow(/key source/);
  });

  it("never allows 'none', nor HS* with only a public key, nor RS* with only a secret", () => {
    expect(() => createAuthenticator({ secret: SECRET, algorithms: ['none'] })).toThrow(/none/);
    expect(() => createAuthenticator({ publicKey: rsaPublicPem, algorithms: ['HS256'] })).toThrow(
      /secret/,
    );
    expect(() => createAuthenticator({ secret: SECRET, algorithms: ['RS256'] })).toThrow(
      /publicKey/,
    );
  });

  it('throws on an unparsable public key', () => {
    expect(() => createAuthenticator({ publicKey: 'not a pem' })).toThrow(/PEM/);
  });
});

describe('principal', () => {
  const auth = createAuthenticator({ secret: SECRET });
  const principalFor = (claims: Record<string, unknown>) =>
    auth.authenticate(`Bearer ${signToken(SECRET, claims)}`);

  it('detects admin from a space-separated scope string', async () => {
    const p = await principalFor({ sub: 'a', scope: 'read bifrost:admin write' });
    expect(p.isAdmin).toBe(true);
    expect(() => auth.requireAdmin(p)).not.toThrow();
  });

  it('detects admin from roles, scp and permissions arrays', async () => {
    for (const claim of ['roles', 'scp', 'permissions']) {
      expect((await principalFor({ sub: claim, [claim]: ['bifrost:admin'] })).isAdmin).toBe(true);
    }
  });

  it('is not admin for a scope that merely contains the admin scope as a substring', async () => {
    const p = await principalFor({ sub: 'u', scope: 'bifrost:admin-lite read', roles: ['user'] });
    expect(p.isAdmin).toBe(false);
    expect(() => auth.requireAdmin(p)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', status: 403 }),
    );
  });

  it('honours a custom admin scope', async () => {
    const custom = createAuthenticator({ secret: SECRET, adminScope: 'ops' });
    const p = await custom.authenticate(`Bearer ${signToken(SECRET, { roles: ['ops'] })}`);
    expect(p.isAdmin).toBe(true);
  });

  it('reads the organization from the default and a custom claim', async () => {
    expect((await principalFor({ sub: 'a', org: 'acme' })).organization).toBe('acme');
    expect((await principalFor({ sub: 'a' })).organization).toBeNull();
    const custom = createAuthenticator({
      secret: SECRET,
      organizationClaim: 'https://bifrost.dev/tenant',
    });
    const token = signToken(SECRET, { 'https://bifrost.dev/tenant': 'globex', org: 'acme' });
    expect((await custom.authenticate(`Bearer ${token}`)).organization).toBe('globex');
    const nested = createAuthenticator({ secret: SECRET, organizationClaim: 'tenant.id' });
    const nestedToken = signToken(SECRET, { tenant: { id: 'initech' } });
    expect((await nested.authenticate(`Bearer ${nestedToken}`)).organization).toBe('initech');
  });

  it('uses an empty subject when sub is missing, and keeps the raw token', async () => {
    const token = signToken(SECRET, { org: 'acme' });
    const p = await auth.authenticate(`Bearer ${token}`);
    expect(p.subject).toBe('');
    expect(p.token).toBe(token);
    expect(p.claims['org']).toBe('acme');
  });
});

describe('verification cache', () => {
  it('serves a repeated token from the cache', async () => {
    const auth = createAuthenticator({ secret: SECRET });
    const header = `Bearer ${signToken(SECRET, { sub: 'a' })}`;
    const first = await auth.authenticate(header);
    expect(await auth.authenticate(header)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('does not accept a cached token past its exp (plus tolerance)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = createAuthenticator({ secret: SECRET });
    const header = `Bearer ${signToken(SECRET, { sub: 'a' }, { expiresInSec: 60 })}`;
    await auth.authenticate(header);
    vi.setSystemTime(Date.now() + 120_000);
    expect((await refusal(auth, header)).message).toMatch(/expired/i);
  });

  it('stays bounded', async () => {
    const auth = createAuthenticator({ secret: SECRET, cacheSize: 2 });
    const headers = ['a', 'b', 'c'].map((sub) => `Bearer ${signToken(SECRET, { sub })}`);
    const principals = [];
    for (const h of headers) principals.push(await auth.authenticate(h));
    // 'a' was evicted, so it is verified again (a new object); 'c' is still cached.
    expect(await auth.authenticate(headers[0])).not.toBe(principals[0]);
    expect(await auth.authenticate(headers[2])).toBe(principals[2]);
  });
});

describe('development credentials', () => {
  it('mints admin and user tokens for org demo, valid about 12 h', async () => {
    const { secret, adminToken, userToken } = createDevelopmentCredentials();
    const auth = createAuthenticator({ secret });
    const admin = await auth.authenticate(`Bearer ${adminToken}`);
    const user = await auth.authenticate(`Bearer ${userToken}`);
    expect(admin).toMatchObject({ isAdmin: true, organization: 'demo' });
    expect(user).toMatchObject({ isAdmin: false, organization: 'demo' });
    const exp = admin.claims['exp'] as number;
    expect(exp - now()).toBeGreaterThan(11 * 3600);
    expect(exp - now()).toBeLessThanOrEqual(12 * 3600);
    // A fresh secret each time: another instance's tokens are refused.
    const other = createAuthenticator({ secret: createDevelopmentCredentials().secret });
    await refusal(other, `Bearer ${adminToken}`);
  });
});
