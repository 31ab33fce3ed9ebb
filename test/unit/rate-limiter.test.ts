import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/server/rate-limiter.js';

describe('per-subject rate limiter', () => {
  it('allows a burst, then refuses with a retry delay, then refills', () => {
    let t = 0;
    const rl = createRateLimiter({ rps: 2, burst: 3, now: () => t });
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBeGreaterThanOrEqual(1);
    // Another subject is not affected.
    expect(rl.take('b')).toBe(0);
    t += 0.5; // one token back at 2/s
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBeGreaterThan(0);
  });

  it('is off with rps 0', () => {
    const rl = createRateLimiter({ rps: 0, burst: 1 });
    for (let i = 0; i < 100; i++) expect(rl.take('a')).toBe(0);
  });
});
