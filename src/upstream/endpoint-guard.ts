import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BifrostError } from '../core/errors.js';

/**
 * SSRF guard for module endpoints (admin API, .meshrc.yml, broker events). With an allow-list,
 * an endpoint must name a listed host (`api.internal`, `*.svc.cluster.local`) or resolve to an
 * address inside a listed CIDR (`10.0.0.0/8`, `fd00::/8`). Without one, every endpoint is allowed,
 * except that in production link-local and cloud-metadata addresses are refused unless listed.
 */
export interface EndpointGuardOptions {
  /** Comma-separated hosts, `*.suffix` patterns, IPs and CIDRs; empty: no allow-list. */
  allowlist?: string;
  production: boolean;
  resolve?: (host: string) => Promise<string[]>;
}

export type EndpointGuard = (endpoint: string) => Promise<void>;

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

function metadataBlockList(): BlockList {
  const b = new BlockList();
  b.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, AWS/GCP/Azure metadata 169.254.169.254
  b.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
  b.addSubnet('fe80::', 10, 'ipv6'); // link-local
  b.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
  return b;
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

export function createEndpointGuard(options: EndpointGuardOptions): EndpointGuard {
  const entries = (options.allowlist ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const cidrs = new BlockList();
  let hasCidrs = false;
  for (const e of entries) {
    if (e.startsWith('*.')) suffixes.push(e.slice(1));
    else if (e.includes('/')) {
      const [ip, bits] = e.split('/') as [string, string];
      cidrs.addSubnet(ip, Number(bits), family(ip));
      hasCidrs = true;
    } else if (isIP(e)) {
      cidrs.addAddress(e, family(e));
      hasCidrs = true;
    } else hosts.add(e);
  }
  const blocked = metadataBlockList();
  const resolve =
    options.resolve ??
    (async (host: string) =>
      (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));

  return async (endpoint) => {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new BifrostError('ENDPOINT_NOT_ALLOWED', `'${endpoint}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new BifrostError(
        'ENDPOINT_NOT_ALLOWED',
        `Endpoint '${endpoint}' must use http or https`,
      );
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const listedByName = hosts.has(host) || suffixes.some((s) => host.endsWith(s));
    if (listedByName) return;
    if (entries.length === 0 && !options.production) return;
    if (entries.length === 0 && METADATA_HOSTS.has(host)) {
      throw new BifrostError(
        'ENDPOINT_NOT_ALLOWED',
        `Endpoint host '${host}' is a cloud metadata service`,
      );
    }
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await resolve(host);
    } catch {
      // Unresolvable now: the spec fetch will report it as unreachable; nothing to compare yet.
      if (entries.length === 0) return;
      throw new BifrostError(
        'ENDPOINT_NOT_ALLOWED',
        `Endpoint host '${host}' is not in the allow-list and does not resolve`,
      );
    }
    if (entries.length > 0) {
      const bad = addresses.find((a) => !hasCidrs || !cidrs.check(a, family(a)));
      if (bad !== undefined) {
        throw new BifrostError(
          'ENDPOINT_NOT_ALLOWED',
          `Endpoint host '${host}' (${bad}) is not in ENDPOINT_ALLOWLIST`,
        );
      }
      return;
    }
    const meta = addresses.find((a) => blocked.check(a, family(a)));
    if (meta !== undefined) {
      throw new BifrostError(
        'ENDPOINT_NOT_ALLOWED',
        `Endpoint host '${host}' resolves to ${meta}, a link-local or cloud-metadata address (list it in ENDPOINT_ALLOWLIST to allow it)`,
      );
    }
  };
}
