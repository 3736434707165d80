import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { OperationRateLimiter } from './rate-limiter.js';

/** Bound on remembered blocked IPs; cleared when full (a cleared IP costs at most one more lookup). */
const BLOCKED_IPS_MAX = 10_000;
/** Bound on remembered good keys, and how long one is remembered after its last successful lookup. */
const GOOD_KEYS_MAX = 10_000;
const GOOD_KEY_MEMORY_MS = 10 * 60_000;

export type AuthenticationGateDecision = { readonly allowed: true } | { readonly allowed: false; retryAfterMs: number };

const ALLOWED = { allowed: true } as const;

/**
 * Keeps made-up API keys away from PostgreSQL. Every refused key counts against its IP in Redis
 * (`forFailedAuthentication`, shared by all API instances); once an IP is past that limit, this instance
 * remembers it until the limit's retry time and refuses its keyed requests before any database lookup.
 * A client with good keys never touches Redis here: only failures are counted. A key that was good on this
 * instance recently still gets its lookup from a blocked IP (revocation is still checked in the
 * database), so one desk's stale key behind a shared address does not lock out the other desks.
 */
@Injectable()
export class FailedAuthenticationGate {
  private readonly blockedUntilMs = new Map<string, number>();
  /** SHA-256 of Authorization headers that authenticated recently -> until when they are remembered. */
  private readonly goodKeysUntilMs = new Map<string, number>();

  constructor(private readonly limiter: OperationRateLimiter) {}

  /** Whether a keyed request from `ip` may be looked up now. */
  check(ip: string, authorization: string, nowEpochMs = Date.now()): AuthenticationGateDecision {
    const until = this.blockedUntilMs.get(ip);
    if (until === undefined) return ALLOWED;
    if ((this.goodKeysUntilMs.get(authorizationDigest(authorization)) ?? 0) > nowEpochMs) return ALLOWED;
    if (until <= nowEpochMs) {
      this.blockedUntilMs.delete(ip);
      return ALLOWED;
    }
    return { allowed: false, retryAfterMs: until - nowEpochMs };
  }

  /** Remembers a header that authenticated, so its IP being blocked does not block it. */
  recordSuccess(authorization: string, nowEpochMs = Date.now()): void {
    if (this.goodKeysUntilMs.size >= GOOD_KEYS_MAX) this.goodKeysUntilMs.clear();
    this.goodKeysUntilMs.set(authorizationDigest(authorization), nowEpochMs + GOOD_KEY_MEMORY_MS);
  }

  /** Counts one refused key of `ip`; past the limit the IP is blocked until Redis says it may retry. */
  async recordFailure(ip: string, nowEpochMs = Date.now()): Promise<void> {
    const decision = await this.limiter.forFailedAuthentication(ip);
    if (decision.allowed) return;
    if (this.blockedUntilMs.size >= BLOCKED_IPS_MAX) this.blockedUntilMs.clear();
    this.blockedUntilMs.set(ip, nowEpochMs + decision.retryAfterMs);
  }
}

/**
 * SHA-256 of a whole Authorization header: how in-memory maps of this folder key a header without ever
 * holding the secret itself (this gate and the authenticated-key cache).
 */
export function authorizationDigest(authorization: string): string {
  return createHash('sha256').update(authorization).digest('base64');
}
