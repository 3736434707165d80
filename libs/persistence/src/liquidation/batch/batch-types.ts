/**
 * The shapes executeLiquidationSteps passes between its batch modules: the liquidation rows it locks, a
 * liquidation it steps (with its account's margin receipt and step number), the slice and final steps planned
 * from it, and the default-waterfall resources read once for the batch's deficits. Types only: no code runs here.
 */

import type { DeficitResource, JournalEntryDraft } from '@novation/clearing';
import type { Decimal } from '@novation/money';
import type { computeMarginReceipt } from '@novation/risk';
import type { AccountEntity } from '../../entities/membership.entity.js';
import type { PlannedCollateralConversion } from '../convert-collateral.js';
import type { DefaultFundContribution } from '../cover-liquidation-deficit.js';
import type { SliceStepPlan } from '../execute-liquidation-step.js';

export interface LockedRow {
  readonly id: string;
  readonly account_id: string;
  readonly status: string;
  readonly next_step_at: Date | null;
}

/** A liquidation the batch steps, with what its account's margin run and book say. */
export interface Stepped {
  readonly liquidationId: string;
  readonly account: AccountEntity;
  readonly stepNumber: number;
  readonly idempotencyKey: string;
  readonly receipt: ReturnType<typeof computeMarginReceipt>;
  /** Set once the batch's receipts are stored. */
  receiptId: string;
}

export interface SliceStep extends Stepped {
  readonly plan: SliceStepPlan;
}

/** A final step as planned: its collateral conversion (if it owed anything), its deficit and the balances left. */
export interface FinalCandidate extends Stepped {
  readonly conversion: PlannedCollateralConversion | null;
  /** > 0 when the account is flat and owes its settlement asset after the conversion. */
  readonly deficit: Decimal;
  /** The account's balances by asset after the conversion. */
  readonly balances: ReadonlyMap<string, Decimal>;
  readonly scale: number;
}

/** A final step the batch writes: nothing to cover, or a deficit the insurance fund covers in full. */
export interface FinalStep extends FinalCandidate {
  readonly cover: { readonly entries: readonly JournalEntryDraft[]; readonly details: Record<string, unknown> } | null;
  /** A balance still below zero once converted and covered: the account stays 'liquidating'. */
  readonly negativeAfter: boolean;
  /** The conversion's posted entry, once written. */
  conversionEntryId?: string;
}

/** What the default waterfall covers in a batch read, for the deficits it may cover there. */
export interface BatchWaterfall {
  readonly contributions: ReadonlyMap<string, readonly DefaultFundContribution[]>;
  /** By liquidation id: the defaulter-margin layer coverLiquidationDeficit would pick (locked here). */
  readonly defaulterMargins: ReadonlyMap<string, DeficitResource>;
}
