/**
 * Planning of the batch's final steps, in memory: which deficits the batch covers itself (the insurance fund
 * alone, or the default waterfall without its default-fund layer) with the house balances followed in id
 * order, the balances an entry's postings leave, and the step a collateral conversion alone makes. A final
 * step this cannot settle exactly as one by one would is deferred to run one by one.
 */

import { coverDeficit, type JournalEntryDraft } from '@novation/clearing';
import { Decimal, ZERO } from '@novation/money';
import type { MarginResult } from '@novation/risk';
import type { ActiveParameterSet } from '../../margin/parameter-set-body.js';
import { compareText } from '../../margin/margin-request-builder.js';
import { isUuid } from '../../margin/transaction.js';
import type { PlannedCollateralConversion } from '../convert-collateral.js';
import {
  EMPTY_RESOURCE_ID,
  adlDetails,
  availableAmount,
  planWaterfallCover,
  type DeficitBase,
} from '../cover-liquidation-deficit.js';
import { conversionStepRecord, type SliceStepPlan } from '../execute-liquidation-step.js';
import type { BatchWaterfall, FinalCandidate, FinalStep, SliceStep } from './batch-types.js';

/** Adds an entry's postings to `accountId` into its balances by asset. */
export function applyPostings(
  balances: Map<string, Decimal>,
  accountId: string,
  entry: { readonly postings: readonly { accountId: string; asset: string; amount: Decimal }[] },
): void {
  for (const posting of entry.postings) {
    if (posting.accountId !== accountId) continue;
    balances.set(posting.asset, (balances.get(posting.asset) ?? ZERO).plus(posting.amount));
  }
}

/** A step that only converted collateral (positions remain, the settlement balance still negative). */
export function conversionStepPlan(
  result: MarginResult,
  conversion: Extract<PlannedCollateralConversion, { status: 'converted' }>,
): SliceStepPlan {
  return { journalEntry: conversion.journalEntry, ...conversionStepRecord(result, conversion) };
}

/**
 * The final steps the batch writes, in id order as one by one, the house accounts (insurance fund, CCP
 * capital) followed as they move: each slice's and conversion's penalty paid in before, each cover taken
 * out. A deficit is covered here when its cover moves money only between accounts (no default-fund layer,
 * whose postings are tagged per firm) and leaves nothing uncovered: under auto-deleveraging, by the
 * insurance fund alone (then nothing is deleveraged, as coverLiquidationDeficit plans it); under the default
 * waterfall, by the insurance fund, the defaulter's margin and the CCP's capital (planWaterfallCover, on the
 * resources waterfallResources read). Any other deficit is deferred, to run one by one.
 */
export function settleFinals(
  slices: readonly SliceStep[],
  candidates: readonly FinalCandidate[],
  house: Map<string, Map<string, Decimal>>,
  mode: ActiveParameterSet['body']['liquidation']['deficitMode'],
  houses: {
    readonly liquidationAccountId: string;
    readonly insuranceFundAccountId: string;
    readonly ccpCapitalAccountId: string;
  },
  waterfall: BatchWaterfall | null,
  deferred: string[],
): FinalStep[] {
  const ordered = [
    ...slices.map((step) => ({ id: step.liquidationId, slice: step, final: null })),
    ...candidates.map((step) => ({ id: step.liquidationId, slice: null, final: step })),
  ].sort((a, b) => compareText(a.id, b.id));
  const finals: FinalStep[] = [];
  const fundId = houses.insuranceFundAccountId;
  const follow = (balances: Map<string, Map<string, Decimal>>, entry: JournalEntryDraft) => {
    for (const [accountId, byAsset] of balances) applyPostings(byAsset, accountId, entry);
  };
  for (const { slice, final } of ordered) {
    if (slice !== null) {
      if (slice.plan.journalEntry !== null) follow(house, slice.plan.journalEntry);
      continue;
    }
    if (final === null) continue;
    const balanceAfter = new Map(final.balances);
    const houseAfter = new Map([...house].map(([id, byAsset]) => [id, new Map(byAsset)]));
    if (final.conversion?.status === 'converted') follow(houseAfter, final.conversion.journalEntry);
    let cover: FinalStep['cover'] = null;
    if (!final.deficit.isZero()) {
      const asset = final.account.settlementAsset;
      const base = {
        accountId: final.account.id,
        asset,
        settlementAssetScale: final.scale,
        deficit: final.deficit,
        insuranceFundAccountId: fundId,
        insuranceFundBalance: availableAmount(houseAfter.get(fundId)?.get(asset), final.scale),
        idempotencyKey: `${final.idempotencyKey}-deficit`,
      };
      const planned = planCover(final, base, mode, houses, houseAfter, waterfall);
      if (planned === null) {
        deferred.push(final.liquidationId);
        continue;
      }
      for (const entry of planned.entries) {
        follow(houseAfter, entry);
        applyPostings(balanceAfter, final.account.id, entry);
      }
      cover = planned;
    }
    for (const [id, byAsset] of houseAfter) house.set(id, byAsset);
    const negativeAfter = [...balanceAfter.values()].some((amount) => amount.isNegative());
    finals.push({ ...final, cover, negativeAfter });
  }
  return finals;
}

/** A deficit's cover as the batch may write it, or null when it must run one by one. */
function planCover(
  final: FinalCandidate,
  base: DeficitBase,
  mode: ActiveParameterSet['body']['liquidation']['deficitMode'],
  houses: { readonly liquidationAccountId: string; readonly ccpCapitalAccountId: string },
  house: ReadonlyMap<string, ReadonlyMap<string, Decimal>>,
  waterfall: BatchWaterfall | null,
): NonNullable<FinalStep['cover']> | null {
  if (mode === 'auto-deleveraging') {
    if (base.insuranceFundBalance.lessThan(final.deficit)) return null;
    const result = coverDeficit({
      ...base,
      mode: 'auto-deleveraging',
      liquidatedPosition: {
        accountId: houses.liquidationAccountId,
        instrumentId: EMPTY_RESOURCE_ID,
        quantity: ZERO,
        bankruptcyPrice: Decimal.max(final.deficit, new Decimal(1)),
      },
      candidates: [],
    });
    if (!result.residualDeficit.isZero()) return null;
    return { entries: result.journalEntries, details: adlDetails(result, null, result.residualDeficit) };
  }
  const defaulterMargin = waterfall?.defaulterMargins.get(final.liquidationId);
  if (waterfall === null || defaulterMargin === undefined) return null;
  const plan = planWaterfallCover(final, base, {
    contributions: waterfall.contributions.get(base.asset) ?? [],
    defaulterMargin,
    ccpCapital: {
      accountId: houses.ccpCapitalAccountId,
      balance: availableAmount(house.get(houses.ccpCapitalAccountId)?.get(base.asset), final.scale),
    },
  });
  const { journalEntries, uncovered } = plan.result;
  const tagged = journalEntries.some((entry) => entry.postings.some((posting) => !isUuid(posting.accountId)));
  if (!uncovered.isZero() || tagged) return null;
  return { entries: journalEntries, details: plan.details };
}
