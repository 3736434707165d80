import type { GroupOffset } from './scenario-parameters.js';

/**
 * Total credit of the offsets between underlying groups: per pair, creditFraction x the smaller of the
 * two remaining scan losses; that amount is then used up on both sides, so a group's loss is never
 * credited twice. With no offsets (the default) every group is margined on its own.
 */
export function groupOffsetCredit(offsets: readonly GroupOffset[], scanLossOf: (underlying: string) => number): number {
  if (offsets.length === 0) return 0;
  const remaining = new Map<string, number>();
  const remainingOf = (underlying: string): number => remaining.get(underlying) ?? Math.max(scanLossOf(underlying), 0);
  let credit = 0;
  for (const offset of offsets) {
    const first = remainingOf(offset.firstUnderlying);
    const second = remainingOf(offset.secondUnderlying);
    const shared = Math.min(first, second);
    credit += offset.creditFraction * shared;
    remaining.set(offset.firstUnderlying, first - shared);
    remaining.set(offset.secondUnderlying, second - shared);
  }
  return credit;
}
