import { describe, expect, it } from 'vitest';
import { createEndpointGuard } from '../../src/upstream/endpoint-guard.js';

const resolveTo = (map: Record<string, string[]>) => async (host: string) => {
  const r = map[host];
  if (!r) throw new Error('ENOTFOUND');
  return r;
};

describe('endpoint guard (SSRF)', () => {
  it('allows anything in development without an allow-list', async () => {
    const guard = createEndpointGuard({ production: false });
    await expect(guard('http://169.254.169.254/latest')).resolves.toBeUndefined();
    await expect(guard('http://10.1.2.3:8080')).resolves.toBeUndefined();
  });

  it('refuses link-local and metadata addresses in production unless listed', async () => {
    const guard = createEndpointGuard({
      production: true,
      resolve: resolveTo({ 'evil.example': ['169.254.169.254'], 'ok.example': ['10.0.0.5'] }),
    });
    for (const url of [
      'http://169.254.169.254/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://evil.example/',
      'http://metadata.google.internal/',
    ]) {
      await expect(guard(url), url).rejects.toMatchObject({ code: 'ENDPOINT_NOT_ALLOWED' });
    }
    await expect(guard('http://ok.example:8080')).resolves.toBeUndefined();
    const listed = createEndpointGuard({ production: true, allowlist: '169.254.0.0/16' });
    await expect(listed('http://169.254.169.254/')).resolves.toBeUndefined();
  });

  it('enforces an allow-list of hosts, suffixes and CIDRs', async () => {
    const guard = createEndpointGuard({
      production: false,
      allowlist: 'orders.internal, *.svc.cluster.local, 10.0.0.0/8',
      resolve: resolveTo({
        'a.example': ['10.2.3.4'],
        'b.example': ['192.168.1.1'],
        'mixed.example': ['10.0.0.1', '8.8.8.8'],
      }),
    });
    await expect(guard('http://orders.internal:8080')).resolves.toBeUndefined();
    await expect(guard('http://customers.default.svc.cluster.local')).resolves.toBeUndefined();
    await expect(guard('http://a.example')).resolves.toBeUndefined();
    await expect(guard('http://10.9.9.9')).resolves.toBeUndefined();
    await expect(guard('http://b.example')).rejects.toMatchObject({ code: 'ENDPOINT_NOT_ALLOWED' });
    await expect(guard('http://mixed.example')).rejects.toMatchObject({
      code: 'ENDPOINT_NOT_ALLOWED',
    });
    await expect(guard('http://unknown.example')).rejects.toMatchObject({
      code: 'ENDPOINT_NOT_ALLOWED',
    });
    await expect(guard('file:///etc/passwd')).rejects.toMatchObject({
      code: 'ENDPOINT_NOT_ALLOWED',
    });
  });
});
