/**
 * The policy venue-published prices are judged by (publishMarketData of @novation/persistence).
 * Constants rather than config: they are part of the API contract a venue integrates against, and a
 * change to them should show in review like any other API change.
 */

/** A price observed more than 5 minutes before the server's clock is stale: it would margin on old news. */
export const MARK_MAX_AGE_MS = 5 * 60_000;

/** A price stamped more than 5 seconds after the server's clock is refused: allows for clock skew only. */
export const MARK_MAX_FUTURE_SKEW_MS = 5_000;

/**
 * Largest move accepted against the last accepted value of the same instrument or underlying: 20%.
 * A larger jump is refused (OUTSIDE_PRICE_BAND) rather than trusted to trigger margin calls.
 */
export const MARK_BAND_FRACTION = '0.2';
