import { FailedAuthenticationGate } from './failed-authentication.gate.js';
import type { OperationRateLimiter, RateDecision } from './rate-limiter.js';

/** A limiter that allows the first `allowed` failures, then refuses with a fixed retry delay. */
function limiter(allowed: number, retryAfterMs: number): OperationRateLimiter {
  let calls = 0;
  return {
    forFailedAuthentication: (): Promise<RateDecision> => {
      calls += 1;
      return Promise.resolve(calls <= allowed ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs });
    },
  } as unknown as OperationRateLimiter;
}

describe('FailedAuthenticationGate', () => {
  const now = 1_000_000;

  it('lets an address through until the limiter refuses one of its failures, then blocks it until the retry time', async () => {
    const gate = new FailedAuthenticationGate(limiter(2, 500));
    expect(gate.check('10.0.0.1', 'Bearer made-up', now)).toEqual({ allowed: true });
    await gate.recordFailure('10.0.0.1', now);
    await gate.recordFailure('10.0.0.1', now);
    expect(gate.check('10.0.0.1', 'Bearer made-up', now)).toEqual({ allowed: true });
    await gate.recordFailure('10.0.0.1', now);
    expect(gate.check('10.0.0.1', 'Bearer made-up', now + 100)).toEqual({ allowed: false, retryAfterMs: 400 });
    // Another address is not affected.
    expect(gate.check('10.0.0.2', 'Bearer made-up', now + 100)).toEqual({ allowed: true });
    // Past the retry time the address is looked up again.
    expect(gate.check('10.0.0.1', 'Bearer made-up', now + 500)).toEqual({ allowed: true });
  });

  it('still lets through a key that authenticated recently, from a blocked address', async () => {
    const gate = new FailedAuthenticationGate(limiter(0, 1_000_000));
    gate.recordSuccess('Bearer good', now);
    await gate.recordFailure('10.0.0.1', now);
    expect(gate.check('10.0.0.1', 'Bearer good', now + 1)).toEqual({ allowed: true });
    expect(gate.check('10.0.0.1', 'Bearer other', now + 1)).toEqual({ allowed: false, retryAfterMs: 999_999 });
    // Remembered for ten minutes after its last success, then blocked like any other key.
    expect(gate.check('10.0.0.1', 'Bearer good', now + 600_001)).toEqual({ allowed: false, retryAfterMs: 399_999 });
  });
});
