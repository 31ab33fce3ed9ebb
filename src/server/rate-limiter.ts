/**
 * Per-subject token buckets: `rps` tokens per second, up to `burst`. Keyed by the token's
 * subject so one noisy client cannot starve the others. `rps = 0` disables limiting.
 */
export interface RateLimiter {
  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(subject: string): number;
}

export function createRateLimiter(options: {
  rps: number;
  burst: number;
  maxSubjects?: number;
  now?: () => number;
}): RateLimiter {
  const { rps, burst } = options;
  const maxSubjects = options.maxSubjects ?? 100_000;
  const now = options.now ?? (() => performance.now() / 1000);
  const buckets = new Map<string, { tokens: number; at: number }>();
  if (rps <= 0) return { take: () => 0 };
  return {
    take(subject) {
      const t = now();
      let b = buckets.get(subject);
      if (!b) {
        if (buckets.size >= maxSubjects) {
          // Drop the oldest entry (Map keeps insertion order): a full bucket is the default anyway.
          const first = buckets.keys().next().value;
          if (first !== undefined) buckets.delete(first);
        }
        b = { tokens: burst, at: t };
        buckets.set(subject, b);
      } else {
        b.tokens = Math.min(burst, b.tokens + (t - b.at) * rps);
        b.at = t;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rps));
    },
  };
}
