import { describe, expect, it } from 'vitest';
import { BifrostError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ModuleRegistry } from '../../src/core/module-registry.js';
import { ModuleEventConsumer, type EventRegistry } from '../../src/events/module-event-consumer.js';
import { makeModuleEvent } from '../../src/events/module-events.js';

const delivery = (event: unknown) => ({
  content: Buffer.from(JSON.stringify(event)),
  routingKey: (event as { type: string }).type,
  redelivered: false,
});

function consumer(registry: EventRegistry, maxAttempts = 3) {
  const calls: string[] = [];
  const c = new ModuleEventConsumer({
    registry,
    runtime: {
      discover: async (name) => void calls.push(`discover ${name}`),
      requestRebuild: async (reason) => void calls.push(`rebuild ${reason}`),
    },
    logger: silentLogger,
    onApplied: (change) => calls.push(`applied ${change.reason} ${change.module}`),
    retryDelayMs: 10,
    maxAttempts,
  });
  return { c, calls };
}

describe('module event consumer: what happens to a delivery', () => {
  const event = makeModuleEvent('module.added', { name: 'billing', endpoint: 'http://billing' });

  it('requeues with a delay, without limit, while the database is down', async () => {
    const { c } = consumer(
      {
        applyEventOnce: async () => Promise.reject(new Error('ECONNREFUSED')),
        ping: async () => false,
      },
      2,
    );
    for (let i = 0; i < 5; i++) {
      expect(await c.handle(delivery(event))).toEqual({
        action: 'retry',
        reason: 'database unreachable: ECONNREFUSED',
        delayMs: 10,
      });
    }
  });

  it('dead-letters a message that keeps failing with the database up, and one the registry refuses', async () => {
    const { c } = consumer(
      { applyEventOnce: async () => Promise.reject(new Error('boom')), ping: async () => true },
      3,
    );
    expect((await c.handle(delivery(event))).action).toBe('retry');
    expect((await c.handle(delivery(event))).action).toBe('retry');
    expect(await c.handle(delivery(event))).toEqual({
      action: 'dead-letter',
      reason: 'failed 3 times: boom',
    });
    const refused = consumer({
      applyEventOnce: async () => Promise.reject(new BifrostError('CONFLICT', 'nope')),
      ping: async () => true,
    });
    expect(await refused.c.handle(delivery(event))).toEqual({
      action: 'dead-letter',
      reason: 'CONFLICT: nope',
    });
  });

  it('acks after the commit, then discovers outside the transaction and announces the change', async () => {
    let inTransaction = false;
    const order: string[] = [];
    const registry: EventRegistry = {
      ping: async () => true,
      async applyEventOnce(_id, _meta, fn) {
        inTransaction = true;
        await fn({
          upsertModule: async () => ({
            module: { lastEventAt: new Date(event.timestamp) },
            changed: true,
          }),
        } as unknown as ModuleRegistry);
        inTransaction = false;
        order.push('commit');
        return true;
      },
    };
    const { c, calls } = consumer(registry);
    const original = c.handle.bind(c);
    expect(await original(delivery(event))).toEqual({ action: 'ack' });
    expect(inTransaction).toBe(false);
    await c.idle();
    expect(calls).toEqual(['discover billing', 'applied module.added billing']);
    expect(order).toEqual(['commit']);
  });

  it('acks a message already applied without touching the runtime', async () => {
    const { c, calls } = consumer({ applyEventOnce: async () => false, ping: async () => true });
    expect(await c.handle(delivery(event))).toEqual({ action: 'ack' });
    await c.idle();
    expect(calls).toEqual([]);
  });
});
