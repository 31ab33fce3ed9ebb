import { describe, expect, it } from 'vitest';
import {
  makeModuleEvent,
  parseModuleEvent,
  parseSchemaChanged,
  topologyNames,
} from '../../src/events/module-events.js';

const good = {
  type: 'module.added',
  messageId: 'm-1',
  timestamp: '2025-01-02T03:04:05.000Z',
  module: { name: 'billing', endpoint: 'http://billing:8080/', docsPath: '/swagger.json' },
};
const parse = (v: unknown, key?: string) =>
  parseModuleEvent(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), key);

describe('module event validation', () => {
  it('accepts a valid event and normalises the endpoint', () => {
    const r = parse(good, 'module.added');
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.event.module).toEqual({
        name: 'billing',
        endpoint: 'http://billing:8080',
        docsPath: '/swagger.json',
      });
  });

  it('accepts module.removed without an endpoint, but requires one to add or update', () => {
    expect(parse({ ...good, type: 'module.removed', module: { name: 'billing' } }).ok).toBe(true);
    const r = parse({ ...good, type: 'module.updated', module: { name: 'billing' } });
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('module.endpoint') });
  });

  it.each([
    ['invalid JSON', '{"type": "module.added"', /invalid JSON/],
    [
      'a bad module name',
      { ...good, module: { ...good.module, name: 'Bad Name' } },
      /module\.name: name must match/,
    ],
    [
      'a reserved module name',
      { ...good, module: { ...good.module, name: 'admin' } },
      /reserved by the gateway/,
    ],
    ['an unknown type', { ...good, type: 'module.renamed' }, /type/],
    [
      'a non-HTTP endpoint',
      { ...good, module: { ...good.module, endpoint: 'ftp://x' } },
      /module\.endpoint/,
    ],
    [
      'a relative docs path',
      { ...good, module: { ...good.module, docsPath: 'docs' } },
      /module\.docsPath/,
    ],
    ['a timestamp that is not ISO 8601', { ...good, timestamp: 'yesterday' }, /timestamp/],
    ['a missing messageId', { ...good, messageId: undefined }, /messageId/],
    ['a JSON array', [good], /invalid module event/],
  ])('rejects %s with a readable reason', (_what, value, reason) => {
    const r = parse(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects a routing key that disagrees with the type', () => {
    expect(parse(good, 'module.removed')).toMatchObject({
      ok: false,
      reason: expect.stringContaining("routing key 'module.removed'"),
    });
  });

  it('builds events that validate, with a fresh id each time', () => {
    const a = makeModuleEvent('module.added', { name: 'x', endpoint: 'http://x' });
    const b = makeModuleEvent('module.added', { name: 'x', endpoint: 'http://x' });
    expect(a.messageId).not.toBe(b.messageId);
    expect(parse(a, 'module.added').ok).toBe(true);
  });

  it('parses schema notices and ignores garbage', () => {
    const n = {
      type: 'schema.changed',
      replicaId: 'r1',
      reason: 'module added',
      timestamp: new Date().toISOString(),
    };
    expect(parseSchemaChanged(JSON.stringify(n))).toEqual(n);
    expect(parseSchemaChanged('nope')).toBeNull();
    expect(parseSchemaChanged(JSON.stringify({ type: 'other' }))).toBeNull();
  });

  it('prefixes every exchange and queue name', () => {
    expect(topologyNames('t1.')).toEqual({
      modulesExchange: 't1.bifrost.modules',
      registryQueue: 't1.bifrost.registry',
      deadLetterExchange: 't1.bifrost.dlx',
      deadLetterQueue: 't1.bifrost.dead-letter',
      schemaExchange: 't1.bifrost.schema',
    });
  });

  it('refuses an event stamped more than the allowed clock skew in the future', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const event = (at: string) =>
      JSON.stringify({
        type: 'module.added',
        messageId: 'm1',
        timestamp: at,
        module: { name: 'orders', endpoint: 'http://orders:8080' },
      });
    expect(parseModuleEvent(event('2026-01-01T00:04:00Z'), 'module.added', now).ok).toBe(true);
    const r = parseModuleEvent(event('2026-01-01T01:00:00Z'), 'module.added', now);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/in the future/);
  });
});
