import {
  createPublicKey,
  createSecretKey,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import { BifrostError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';

/** How BiFrost verifies bearer tokens. At least one of `secret`, `publicKey` or `jwksUrl` is required. */
export interface AuthOptions {
  /** HS256 shared secret. */
  secret?: string;
  /** PEM public key for RS256/ES256/PS256 (RSA or EC; the key type must fit the token's algorithm). */
  publicKey?: string;
  /**
   * JWKS URL (RSA/EC keys). Keys are cached (see `jwksCacheTtlSec`); a token with an unknown `kid`
   * triggers a refetch, at most once per `jwksRefetchCooldownSec`, so a flood of forged kids cannot
   * hammer the identity provider.
   */
  jwksUrl?: string;
  /** Required `iss` claim; unchecked when unset. */
  issuer?: string;
  /** Required `aud` claim (the token's `aud` may be a string or an array); unchecked when unset. */
  audience?: string;
  /**
   * Allowed algorithms. Default: HS256 when `secret` is set, plus RS256/ES256/PS256 when `publicKey` or
   * `jwksUrl` is set. 'none' is refused, and an algorithm whose key kind is not configured is a
   * construction error: HS* needs `secret`, RS/ES/PS* need `publicKey` or `jwksUrl`, which rules out
   * HS/RS key confusion (an HS token "signed" with the public key PEM).
   */
  algorithms?: string[];
  /** Leeway for `exp` and `nbf`, in seconds. Default 30 (clock skew between issuer and gateway). */
  clockToleranceSec?: number;
  /**
   * The scope or role granting admin rights. A principal is admin when `scope`/`scp` (space-separated
   * string or array), `scopes`/`permissions` (array or string) or `roles` contains it.
   * Default 'bifrost:admin'.
   */
  adminScope?: string;
  /**
   * JWT claim holding the caller's organization (tenant). Default 'org'. A claim name containing dots
   * (Auth0-style `https://example.com/org`) is looked up as is first, then as a nested path.
   */
  organizationClaim?: string;
  /** Fetch used for the JWKS. Default: global fetch. */
  fetch?: typeof fetch;
  /** JWKS cache lifetime in seconds. Default 600 (10 min). */
  jwksCacheTtlSec?: number;
  /** Minimum delay between two JWKS fetches triggered by unknown kids or expiry, in seconds. Default 30. */
  jwksRefetchCooldownSec?: number;
  /**
   * Successful verifications cached by raw token (until the token's `exp`, at most 5 minutes), so a
   * repeated token costs a Map lookup. Default 10 000 entries; 0 disables the cache.
   */
  cacheSize?: number;
  logger?: Logger;
}

/** The authenticated caller. Frozen: it may be shared between requests through the cache. */
export interface Principal {
  /** The `sub` claim, or '' when absent. */
  subject: string;
  claims: Record<string, unknown>;
  isAdmin: boolean;
  /** The organization (tenant) claim, or null when absent. */
  organization: string | null;
  /** The raw token, for forwarding to logic modules. Never log it. */
  token: string;
}

export interface Authenticator {
  /**
   * Parses `Authorization: Bearer <jwt>` and verifies the token. Throws BifrostError('UNAUTHENTICATED')
   * with a specific, readable reason when the header or token is not acceptable.
   */
  authenticate(authorizationHeader: string | undefined): Promise<Principal>;
  /** Throws BifrostError('FORBIDDEN') unless principal.isAdmin. */
  requireAdmin(principal: Principal): void;
}

const HS_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
] as const;
const DEFAULT_ASYMMETRIC = ['RS256', 'ES256', 'PS256'];
const DEFAULT_ADMIN_SCOPE = 'bifrost:admin';
const DEFAULT_CACHE_SIZE = 10_000;
/** Cached verifications live at most this long, so a key removed from the JWKS stops working soon. */
const MAX_CACHE_MS = 5 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;

const isHs = (alg: string): boolean => alg.startsWith('HS');

function unauthenticated(message: string, cause?: unknown): BifrostError {
  return new BifrostError('UNAUTHENTICATED', message, cause === undefined ? undefined : { cause });
}

interface DecodedHeader {
  alg: string;
  kid: string | undefined;
}

function decodeHeader(token: string): DecodedHeader {
  const parts = token.split('.');
  // The signature part may be empty (alg 'none'), which is refused below with a clearer message.
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') {
    throw unauthenticated(
      'Malformed token: expected a JWT (three base64url parts separated by dots)',
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw unauthenticated('Malformed token: the JWT header is not base64url-encoded JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw unauthenticated('Malformed token: the JWT header is not a JSON object');
  }
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  if (typeof alg !== 'string' || alg === '') {
    throw unauthenticated('Malformed token: the JWT header has no "alg"');
  }
  if (alg.toLowerCase() === 'none') {
    throw unauthenticated("Unsigned tokens (alg 'none') are not accepted");
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw unauthenticated('Malformed token: the JWT header "kid" is not a string');
  }
  return { alg, kid };
}

/** Values of a claim that may be a space-separated string or an array of strings. */
function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function isAdminClaims(claims: Record<string, unknown>, adminScope: string): boolean {
  for (const name of ['scope', 'scp', 'scopes', 'permissions', 'roles']) {
    if (claimValues(claims[name]).includes(adminScope)) return true;
  }
  return false;
}

function readOrganization(claims: Record<string, unknown>, claim: string): string | null {
  let value: unknown = claims[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((node, key) => {
      return typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[key]
        : undefined;
    }, claims);
  }
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function describeVerifyError(
  err: unknown,
  options: { issuer?: string; audience?: string },
): BifrostError {
  if (err instanceof jwt.TokenExpiredError) {
    return unauthenticated(`Token expired at ${err.expiredAt.toISOString()}`, err);
  }
  if (err instanceof jwt.NotBeforeError) {
    return unauthenticated(`Token is not valid before ${err.date.toISOString()}`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'invalid signature') {
    return unauthenticated(
      'Invalid token signature (tampered token or signed with another key)',
      err,
    );
  }
  if (message.startsWith('jwt issuer invalid')) {
    return unauthenticated(
      `Token issuer is not the expected issuer '${options.issuer ?? ''}'`,
      err,
    );
  }
  if (message.startsWith('jwt audience invalid')) {
    return unauthenticated(
      `Token audience does not include the expected audience '${options.audience ?? ''}'`,
      err,
    );
  }
  if (
    message === 'jwt malformed' ||
    message === 'invalid token' ||
    message.startsWith('Unexpected token')
  ) {
    return unauthenticated('Malformed token: the JWT could not be decoded', err);
  }
  if (
    message.includes('key type') ||
    message.includes('asymmetric key') ||
    message.includes('symmetric key')
  ) {
    return unauthenticated('Token algorithm does not fit the configured verification key', err);
  }
  return unauthenticated(`Token could not be verified: ${message}`, err);
}

interface JwksState {
  keys: Map<string, { key: KeyObject; alg: string | undefined }>;
  /** Keys without a kid, usable only when the token has no kid either. */
  anonymous: { key: KeyObject; alg: string | undefined }[];
  fetchedAt: number;
}

/** Fetches and caches a JWKS; refetches on expiry or unknown kid, rate-limited, one fetch in flight. */
class JwksClient {
  private state: JwksState | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
    private readonly ttlMs: number,
    private readonly cooldownMs: number,
    private readonly logger: Logger,
  ) {}

  /** Whether a JWKS has been loaded at least once. */
  get hasKeys(): boolean {
    return this.state !== undefined;
  }

  /** The key for `kid`, or undefined when the JWKS (after a permitted refetch) does not have it. */
  async getKey(
    kid: string | undefined,
  ): Promise<{ key: KeyObject; alg: string | undefined } | undefined> {
    let refreshed = false;
    if (this.state === undefined || Date.now() - this.state.fetchedAt > this.ttlMs) {
      await this.refresh(Date.now());
      refreshed = true;
    }
    let found = this.lookup(kid);
    if (found === undefined && !refreshed) {
      // Unknown kid: the provider may have rotated its keys.
      await this.refresh(Date.now());
      found = this.lookup(kid);
    }
    return found;
  }

  private lookup(kid: string | undefined): { key: KeyObject; alg: string | undefined } | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    if (kid !== undefined) return state.keys.get(kid);
    // A token without kid is only unambiguous when the set holds exactly one key.
    const all = [...state.keys.values(), ...state.anonymous];
    return all.length === 1 ? all[0] : undefined;
  }

  private refresh(now: number): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (now - this.lastAttemptAt < this.cooldownMs) return Promise.resolve();
    this.lastAttemptAt = now;
    this.inFlight = this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    try {
      const response = await this.fetchImpl(this.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('JWKS has no "keys" array');
      const keys = new Map<string, { key: KeyObject; alg: string | undefined }>();
      const anonymous: { key: KeyObject; alg: string | undefined }[] = [];
      for (const jwk of body.keys as Record<string, unknown>[]) {
        // Symmetric ('oct') keys in a public JWKS would reopen HS/RS confusion; encryption keys are not for us.
        if (typeof jwk !== 'object' || jwk === null) continue;
        if (jwk['kty'] !== 'RSA' && jwk['kty'] !== 'EC') continue;
        if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
        let key: KeyObject;
        try {
          key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
        } catch (err) {
          this.logger.warn({ err, kid: jwk['kid'] }, 'skipping unusable JWKS key');
          continue;
        }
        const entry = { key, alg: typeof jwk['alg'] === 'string' ? jwk['alg'] : undefined };
        if (typeof jwk['kid'] === 'string') keys.set(jwk['kid'], entry);
        else anonymous.push(entry);
      }
      this.state = { keys, anonymous, fetchedAt: Date.now() };
      this.logger.info({ jwksUrl: this.url, keys: keys.size + anonymous.length }, 'JWKS loaded');
    } catch (err) {
      // Keep serving with the previous keys, if any; the cooldown limits retries.
      this.logger.error(
        { err, jwksUrl: this.url, stale: this.state !== undefined },
        'JWKS fetch failed',
      );
    }
  }
}

interface CacheEntry {
  principal: Principal;
  expiresAt: number;
}

export function createAuthenticator(options: AuthOptions): Authenticator {
  const logger = options.logger ?? silentLogger;
  const hasSecret = options.secret !== undefined && options.secret !== '';
  const hasPublicKey = options.publicKey !== undefined && options.publicKey !== '';
  const hasJwks = options.jwksUrl !== undefined && options.jwksUrl !== '';
  const hasAsymmetric = hasPublicKey || hasJwks;
  if (!hasSecret && !hasAsymmetric) {
    throw new Error('Authentication needs a key source: set `secret`, `publicKey` or `jwksUrl`');
  }

  const algorithms = options.algorithms ?? [
    ...(hasSecret ? ['HS256'] : []),
    ...(hasAsymmetric ? DEFAULT_ASYMMETRIC : []),
  ];
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none') throw new Error("Algorithm 'none' can never be allowed");
    const known =
      (HS_ALGORITHMS as readonly string[]).includes(alg) ||
      (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
    if (!known) throw new Error(`Unsupported JWT algorithm '${alg}'`);
    if (isHs(alg) && !hasSecret)
      throw new Error(`Algorithm ${alg} needs \`secret\` (refused to avoid HS/RS key confusion)`);
    if (!isHs(alg) && !hasAsymmetric)
      throw new Error(`Algorithm ${alg} needs \`publicKey\` or \`jwksUrl\``);
  }
  if (algorithms.length === 0) throw new Error('At least one JWT algorithm must be allowed');
  const allowed = new Set(algorithms);
  const allowedList = algorithms.join(', ');

  const secretKey = hasSecret
    ? createSecretKey(Buffer.from(options.secret ?? '', 'utf8'))
    : undefined;
  let publicKey: KeyObject | undefined;
  if (hasPublicKey) {
    try {
      publicKey = createPublicKey(options.publicKey ?? '');
    } catch (err) {
      throw new Error('`publicKey` is not a valid PEM public key', { cause: err });
    }
    if (publicKey.type !== 'public') throw new Error('`publicKey` must be a public key');
  }
  const jwks = hasJwks
    ? new JwksClient(
        options.jwksUrl ?? '',
        options.fetch ?? globalThis.fetch,
        (options.jwksCacheTtlSec ?? 600) * 1000,
        (options.jwksRefetchCooldownSec ?? 30) * 1000,
        logger,
      )
    : undefined;

  const verifyOptions: jwt.VerifyOptions = {
    clockTolerance: options.clockToleranceSec ?? 30,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  const adminScope = options.adminScope ?? DEFAULT_ADMIN_SCOPE;
  const organizationClaim = options.organizationClaim ?? 'org';
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const cache = new Map<string, CacheEntry>();

  async function resolveKey(header: DecodedHeader): Promise<KeyObject> {
    if (isHs(header.alg)) {
      // Guaranteed by the algorithm checks above; kept as a guard.
      if (secretKey === undefined)
        throw unauthenticated(`Token algorithm '${header.alg}' is not allowed`);
      return secretKey;
    }
    if (jwks !== undefined && (header.kid !== undefined || publicKey === undefined)) {
      const found = await jwks.getKey(header.kid);
      if (found !== undefined) {
        if (found.alg !== undefined && found.alg !== header.alg) {
          throw unauthenticated(
            `Token algorithm '${header.alg}' does not match the signing key's algorithm`,
          );
        }
        return found.key;
      }
      if (publicKey === undefined) {
        if (!jwks.hasKeys) {
          throw unauthenticated(
            'Token could not be verified: the signing keys (JWKS) are unavailable',
          );
        }
        throw unauthenticated(
          header.kid === undefined
            ? 'Token has no "kid" and the signing key cannot be chosen'
            : `Unknown signing key id '${header.kid}'`,
        );
      }
    }
    if (publicKey === undefined)
      throw unauthenticated(`Token algorithm '${header.alg}' is not allowed`);
    return publicKey;
  }

  async function verify(token: string): Promise<Principal> {
    const header = decodeHeader(token);
    if (!allowed.has(header.alg)) {
      throw unauthenticated(
        `Token algorithm '${header.alg}' is not allowed (accepted: ${allowedList})`,
      );
    }
    const key = await resolveKey(header);
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        ...verifyOptions,
        algorithms: [header.alg as jwt.Algorithm],
      });
    } catch (err) {
      throw describeVerifyError(err, options);
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw unauthenticated('Malformed token: the JWT payload is not a JSON object');
    }
    const claims = Object.freeze({ ...payload }) as Record<string, unknown>;
    return Object.freeze({
      subject: typeof claims['sub'] === 'string' ? claims['sub'] : '',
      claims,
      isAdmin: isAdminClaims(claims, adminScope),
      organization: readOrganization(claims, organizationClaim),
      token,
    });
  }

  function remember(principal: Principal, now: number): void {
    if (cacheSize <= 0) return;
    const exp = principal.claims['exp'];
    const expiresAt = Math.min(
      typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY,
      now + MAX_CACHE_MS,
    );
    // A token accepted only thanks to clock tolerance is re-verified every time.
    if (expiresAt <= now) return;
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(principal.token, { principal, expiresAt });
  }

  return {
    async authenticate(authorizationHeader) {
      if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
        throw unauthenticated("Missing Authorization header; send 'Authorization: Bearer <token>'");
      }
      const match = /^\s*bearer\s+(.*)$/i.exec(authorizationHeader);
      if (match === null) {
        throw unauthenticated(
          "The Authorization header must use the Bearer scheme ('Bearer <token>')",
        );
      }
      const token = (match[1] ?? '').trim();
      if (token === '') throw unauthenticated('The Bearer token is empty');

      const now = Date.now();
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt > now) return hit.principal;
        cache.delete(token);
      }
      try {
        const principal = await verify(token);
        remember(principal, now);
        return principal;
      } catch (err) {
        // Never log the token itself.
        logger.debug(
          { reason: err instanceof Error ? err.message : String(err) },
          'authentication refused',
        );
        throw err;
      }
    },
    requireAdmin(principal) {
      if (!principal.isAdmin) {
        throw new BifrostError('FORBIDDEN', `This route needs the '${adminScope}' scope or role`);
      }
    },
  };
}

/**
 * Mints an HS256 token. Expiry: `expiresInSec` when given, else the claims' own `exp`, else one hour.
 * `issuer`/`audience` set `iss`/`aud` (do not also put them in `claims`).
 */
export function signToken(
  secret: string,
  claims: Record<string, unknown>,
  options: { expiresInSec?: number; issuer?: string; audience?: string } = {},
): string {
  const expiresInSec = options.expiresInSec ?? (claims['exp'] === undefined ? 3600 : undefined);
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    ...(expiresInSec !== undefined ? { expiresIn: expiresInSec } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  });
}

/** Development mode: a random secret, plus ready-made tokens (admin and user, org 'demo', valid 12 h). */
export function createDevelopmentCredentials(): {
  secret: string;
  adminToken: string;
  userToken: string;
} {
  const secret = randomBytes(32).toString('base64url');
  const expiresInSec = 12 * 3600;
  return {
    secret,
    adminToken: signToken(
      secret,
      { sub: 'dev-admin', org: 'demo', scope: DEFAULT_ADMIN_SCOPE, roles: ['admin'] },
      { expiresInSec },
    ),
    userToken: signToken(
      secret,
      { sub: 'dev-user', org: 'demo', scope: 'read', roles: ['user'] },
      { expiresInSec },
    ),
  };
}
