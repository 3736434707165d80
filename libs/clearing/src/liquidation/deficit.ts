import { Decimal, ZERO } from '@novation/money';
import { ClearingError } from '../clearing-error.js';
import type { JournalEntryDraft } from '../ledger-draft.js';
import { assertIdentifier, assertInRange, assertPositive, assertScale } from '../preconditions.js';
import type { AccountAmount } from '../settlement-entry.js';
import { finishEntry } from '../settlement-entry.js';
import { assertAtScale, assertBounded, assertIdempotencyKey, compareIds, unitOf } from './liquidation-preconditions.js';

export type DeficitLayerName =
  'insurance' | 'defaulter-margin' | 'defaulter-default-fund' | 'ccp-capital' | 'mutualised';

/** A resource held in one account: its balance is what the layer can give, at most. */
export interface DeficitResource {
  readonly accountId: string;
  readonly balance: Decimal;
}

interface DeficitInputBase {
  /** The defaulting account whose equity after liquidation is negative; every layer credits it. */
  readonly accountId: string;
  /** Amount to cover, >= 0, at the asset's scale (it is a ledger balance). */
  readonly deficit: Decimal;
  readonly asset: string;
  readonly settlementAssetScale: number;
  readonly insuranceFundAccountId: string;
  readonly insuranceFundBalance: Decimal;
  /** Base key; each entry appends its layer: `:insurance`, `:defaulter-margin`, ... */
  readonly idempotencyKey: string;
}

/** An account holding the opposite side of the liquidated position, as the margin model sees it. */
export interface AdlCandidate {
  readonly accountId: string;
  /** Contracts in the liquidated instrument, signed; only the opposite side is eligible. */
  readonly quantity: Decimal;
  /** At mark, in the settlement asset; only profitable (> 0) accounts are eligible. */
  readonly unrealisedPnl: Decimal;
  /** Margin held for the position (> 0 to be eligible). */
  readonly positionMargin: Decimal;
  /** Value of the position at mark in the settlement asset (its sign is ignored). */
  readonly notional: Decimal;
  /** Account equity (> 0 to be eligible). */
  readonly equity: Decimal;
}

export interface AutoDeleveragingInput extends DeficitInputBase {
  readonly mode: 'auto-deleveraging';
  /** What is left of the liquidated position, and the price at which its holder's equity is exactly zero. */
  readonly liquidatedPosition: {
    readonly accountId: string;
    readonly instrumentId: string;
    readonly quantity: Decimal;
    readonly bankruptcyPrice: Decimal;
  };
  readonly candidates: readonly AdlCandidate[];
}

export interface DefaultWaterfallInput extends DeficitInputBase {
  readonly mode: 'default-waterfall';
  readonly defaulterMargin: DeficitResource;
  readonly defaulterDefaultFund: DeficitResource;
  /** The CCP's own capital committed ahead of the members (skin in the game). */
  readonly ccpCapital: DeficitResource;
  /** The surviving members' default-fund contributions: balance is the contribution. */
  readonly memberDefaultFunds: readonly DeficitResource[];
}

export type CoverDeficitInput = AutoDeleveragingInput | DefaultWaterfallInput;

export interface DeficitLayer {
  readonly layer: DeficitLayerName;
  /** What the layer could give. */
  readonly available: Decimal;
  /** What it gave: min(available, deficit left when its turn came). */
  readonly amount: Decimal;
  /** Null when the layer gave nothing. */
  readonly journalEntry: JournalEntryDraft | null;
}

export interface AdlRanking {
  /** 1 is deleveraged first. */
  readonly rank: number;
  readonly accountId: string;
  /** unrealisedPnl / positionMargin. */
  readonly pnlRatio: Decimal;
  /** |notional| / equity. */
  readonly leverage: Decimal;
  /** pnlRatio x leverage. */
  readonly score: Decimal;
}

/** One counterparty closed against the liquidated position at the bankruptcy price. */
export interface AdlMatch {
  readonly counterpartyAccountId: string;
  readonly instrumentId: string;
  /** Signed, reducing the counterparty's position. */
  readonly counterpartyCloseQuantity: Decimal;
  /** Signed, reducing the liquidated position (the opposite of the counterparty's close). */
  readonly liquidatedCloseQuantity: Decimal;
  readonly price: Decimal;
}

export interface AutoDeleveragingResult {
  readonly mode: 'auto-deleveraging';
  readonly insurance: DeficitLayer;
  /** The deficit the insurance fund could not cover, absorbed by the matches at the bankruptcy price. */
  readonly residualDeficit: Decimal;
  /** Every eligible counterparty in order (recorded for audit), whether or not it was needed. */
  readonly ranking: readonly AdlRanking[];
  /** Empty when the insurance fund covered the whole deficit. */
  readonly matches: readonly AdlMatch[];
  /** Signed like the liquidated position: what no eligible counterparty could take. */
  readonly unfilledQuantity: Decimal;
  readonly journalEntries: readonly JournalEntryDraft[];
}

export interface DefaultWaterfallResult {
  readonly mode: 'default-waterfall';
  /** In order: insurance, defaulter-margin, defaulter-default-fund, ccp-capital, mutualised. */
  readonly layers: readonly DeficitLayer[];
  /** Each surviving member's share of the mutualised layer (0 for members not charged). */
  readonly mutualisedShares: readonly AccountAmount[];
  /** Sum of the layers: min(deficit, total resources). */
  readonly covered: Decimal;
  /** max(0, deficit - total resources). */
  readonly uncovered: Decimal;
  readonly journalEntries: readonly JournalEntryDraft[];
}

export type CoverDeficitResult = AutoDeleveragingResult | DefaultWaterfallResult;

/**
 * Covers what a liquidated account still owes once its positions are closed. The insurance fund pays first,
 * up to its balance. Then, by mode:
 * - 'auto-deleveraging' (Bybit/BitMEX): if a deficit remains, the rest of the liquidated position is closed
 *   against profitable opposite-side accounts at its bankruptcy price (the price at which its holder's
 *   equity is zero), so the loss beyond the insurance fund is taken out of their unrealised profit. They are
 *   ranked by score = (unrealisedPnl / positionMargin) x (|notional| / equity), highest first, ties by account
 *   id; each takes min(its position, what is left). The ranking is returned for audit. The money of the
 *   matches is settled as trades (PnL at the bankruptcy price), not here.
 * - 'default-waterfall' (CCP): the defaulter's margin, the defaulter's default-fund contribution, the CCP's
 *   capital, then the surviving members' default-fund contributions pro rata (largest remainder at the
 *   asset's unit, ties by account id, so the shares sum exactly to the layer); what is left is `uncovered`.
 * Every layer that gives something is its own balanced entry, source account(s) -> the defaulting account,
 * keyed `<idempotencyKey>:<layer>`.
 */
export function coverDeficit(input: AutoDeleveragingInput): AutoDeleveragingResult;
export function coverDeficit(input: DefaultWaterfallInput): DefaultWaterfallResult;
export function coverDeficit(input: CoverDeficitInput): CoverDeficitResult;
export function coverDeficit(input: CoverDeficitInput): CoverDeficitResult {
  assertDeficitBase(input);
  switch (input.mode) {
    case 'auto-deleveraging':
      return autoDeleverage(input);
    case 'default-waterfall':
      return defaultWaterfall(input);
  }
}

function autoDeleverage(input: AutoDeleveragingInput): AutoDeleveragingResult {
  assertAdlInput(input);
  const insurance = singleSourceLayer(input, 'insurance', insuranceResource(input), input.deficit);
  const residualDeficit = input.deficit.minus(insurance.amount);
  const ranking = rankCandidates(input);
  const position = input.liquidatedPosition;
  const matches: AdlMatch[] = [];
  let left = residualDeficit.isZero() ? ZERO : position.quantity.abs();
  const byId = new Map(input.candidates.map((candidate) => [candidate.accountId, candidate]));
  for (const ranked of ranking) {
    if (left.isZero()) break;
    const candidate = byId.get(ranked.accountId) as AdlCandidate;
    const taken = Decimal.min(left, candidate.quantity.abs());
    const counterpartyClose = candidate.quantity.isNegative() ? taken : taken.negated();
    matches.push({
      counterpartyAccountId: candidate.accountId,
      instrumentId: position.instrumentId,
      counterpartyCloseQuantity: counterpartyClose,
      liquidatedCloseQuantity: counterpartyClose.negated(),
      price: position.bankruptcyPrice,
    });
    left = left.minus(taken);
  }
  return {
    mode: 'auto-deleveraging',
    insurance,
    residualDeficit,
    ranking,
    matches,
    unfilledQuantity: position.quantity.isNegative() ? left.negated() : left,
    journalEntries: insurance.journalEntry === null ? [] : [insurance.journalEntry],
  };
}

/** Eligible: opposite side, profitable, positive margin and equity. Highest score first, ties by account id. */
function rankCandidates(input: AutoDeleveragingInput): AdlRanking[] {
  const side = input.liquidatedPosition.quantity;
  return input.candidates
    .filter(
      (candidate) =>
        !candidate.quantity.isZero() &&
        !side.isZero() &&
        candidate.quantity.isNegative() !== side.isNegative() &&
        isStrictlyPositive(candidate.unrealisedPnl) &&
        isStrictlyPositive(candidate.positionMargin) &&
        isStrictlyPositive(candidate.equity),
    )
    .map((candidate) => {
      const pnlRatio = candidate.unrealisedPnl.dividedBy(candidate.positionMargin);
      const leverage = candidate.notional.abs().dividedBy(candidate.equity);
      return { accountId: candidate.accountId, pnlRatio, leverage, score: pnlRatio.times(leverage) };
    })
    .sort((left, right) => right.score.comparedTo(left.score) || compareIds(left.accountId, right.accountId))
    .map((ranked, index) => ({ rank: index + 1, ...ranked }));
}

function defaultWaterfall(input: DefaultWaterfallInput): DefaultWaterfallResult {
  assertWaterfallInput(input);
  const layers: DeficitLayer[] = [];
  let left = input.deficit;
  const sources: [DeficitLayerName, DeficitResource][] = [
    ['insurance', insuranceResource(input)],
    ['defaulter-margin', input.defaulterMargin],
    ['defaulter-default-fund', input.defaulterDefaultFund],
    ['ccp-capital', input.ccpCapital],
  ];
  for (const [name, resource] of sources) {
    const layer = singleSourceLayer(input, name, resource, left);
    layers.push(layer);
    left = left.minus(layer.amount);
  }
  const { layer: mutualised, shares } = mutualisedLayer(input, left);
  layers.push(mutualised);
  left = left.minus(mutualised.amount);
  const journalEntries = layers
    .map((layer) => layer.journalEntry)
    .filter((entry): entry is JournalEntryDraft => entry !== null);
  return {
    mode: 'default-waterfall',
    layers,
    mutualisedShares: shares,
    covered: input.deficit.minus(left),
    uncovered: left,
    journalEntries,
  };
}

function insuranceResource(input: DeficitInputBase): DeficitResource {
  return { accountId: input.insuranceFundAccountId, balance: input.insuranceFundBalance };
}

function singleSourceLayer(
  input: DeficitInputBase,
  layer: DeficitLayerName,
  resource: DeficitResource,
  left: Decimal,
): DeficitLayer {
  const amount = Decimal.min(resource.balance, left);
  const postings = amount.isZero()
    ? []
    : [
        { accountId: resource.accountId, asset: input.asset, amount: amount.negated() },
        { accountId: input.accountId, asset: input.asset, amount },
      ];
  return { layer, available: resource.balance, amount, journalEntry: layerEntry(input, layer, postings) };
}

/**
 * The surviving members pay min(left, total contributions) pro rata to their contributions. Each share is
 * amount x contribution / total rounded down to the asset's unit; the units still missing go one each to
 * the largest rounded-off remainders (ties by account id). A share never exceeds its contribution: a member
 * gets an extra unit only when its exact share had a fractional part, and its contribution is a whole
 * number of units.
 */
function mutualisedLayer(
  input: DefaultWaterfallInput,
  left: Decimal,
): { layer: DeficitLayer; shares: AccountAmount[] } {
  const members = input.memberDefaultFunds;
  const total = members.reduce((sum, member) => sum.plus(member.balance), ZERO);
  const amount = Decimal.min(left, total);
  const unit = unitOf(input.settlementAssetScale);
  const rounded = members.map((member) => {
    const exact = amount.isZero() ? ZERO : amount.times(member.balance).dividedBy(total);
    const floor = exact.dividedToIntegerBy(unit).times(unit);
    return { accountId: member.accountId, floor, remainder: exact.minus(floor) };
  });
  const floorTotal = rounded.reduce((sum, share) => sum.plus(share.floor), ZERO);
  // A count of units, below the number of members: safe as a JS number.
  const missingUnits = amount.minus(floorTotal).dividedBy(unit).toNumber();
  const extraUnitIds = new Set(
    rounded
      .slice()
      .sort((a, b) => b.remainder.comparedTo(a.remainder) || compareIds(a.accountId, b.accountId))
      .slice(0, missingUnits)
      .map((share) => share.accountId),
  );
  const shares: AccountAmount[] = rounded.map(({ accountId, floor }) => ({
    accountId,
    amount: extraUnitIds.has(accountId) ? floor.plus(unit) : floor,
  }));
  const postings = shares
    .filter((share) => !share.amount.isZero())
    .map((share) => ({ accountId: share.accountId, asset: input.asset, amount: share.amount.negated() }));
  if (!amount.isZero()) postings.push({ accountId: input.accountId, asset: input.asset, amount });
  return {
    layer: { layer: 'mutualised', available: total, amount, journalEntry: layerEntry(input, 'mutualised', postings) },
    shares,
  };
}

function layerEntry(
  input: DeficitInputBase,
  layer: DeficitLayerName,
  postings: readonly { accountId: string; asset: string; amount: Decimal }[],
): JournalEntryDraft | null {
  const header = {
    idempotencyKey: `${input.idempotencyKey}:${layer}`,
    kind: 'deficit_cover',
    description: `deficit of ${input.accountId} covered by ${layer}`,
  };
  return finishEntry(header, postings);
}

function isStrictlyPositive(value: Decimal): boolean {
  return value.isFinite() && value.isPositive() && !value.isZero();
}

function assertDeficitBase(input: CoverDeficitInput): void {
  if (input.mode !== 'auto-deleveraging' && input.mode !== 'default-waterfall') {
    throw new ClearingError('INVALID_FIELD_TYPE', 'mode', "must be 'auto-deleveraging' or 'default-waterfall'");
  }
  assertIdentifier(input.accountId, 'accountId');
  assertIdentifier(input.asset, 'asset');
  assertIdentifier(input.insuranceFundAccountId, 'insuranceFundAccountId');
  assertIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertAtScale(input.deficit, input.settlementAssetScale, 'deficit');
  assertAtScale(input.insuranceFundBalance, input.settlementAssetScale, 'insuranceFundBalance');
}

function assertAdlInput(input: AutoDeleveragingInput): void {
  const position = input.liquidatedPosition;
  assertIdentifier(position.accountId, 'liquidatedPosition.accountId');
  assertIdentifier(position.instrumentId, 'liquidatedPosition.instrumentId');
  assertInRange(position.quantity, 'liquidatedPosition.quantity');
  assertPositive(position.bankruptcyPrice, 'liquidatedPosition.bankruptcyPrice', 'NON_POSITIVE_PRICE');
  assertBounded(input.candidates, 'candidates');
  const seen = new Set<string>([position.accountId]);
  input.candidates.forEach((candidate, index) => {
    const field = `candidates[${index}]`;
    assertIdentifier(candidate.accountId, `${field}.accountId`);
    if (seen.has(candidate.accountId)) {
      throw new ClearingError('DUPLICATE_ACCOUNT', `${field}.accountId`, 'appears twice or is the liquidated holder');
    }
    seen.add(candidate.accountId);
    assertInRange(candidate.quantity, `${field}.quantity`);
    assertInRange(candidate.unrealisedPnl, `${field}.unrealisedPnl`);
    assertInRange(candidate.positionMargin, `${field}.positionMargin`);
    assertInRange(candidate.notional, `${field}.notional`);
    assertInRange(candidate.equity, `${field}.equity`);
  });
}

function assertWaterfallInput(input: DefaultWaterfallInput): void {
  const resources: [string, DeficitResource][] = [
    ['defaulterMargin', input.defaulterMargin],
    ['defaulterDefaultFund', input.defaulterDefaultFund],
    ['ccpCapital', input.ccpCapital],
    ...input.memberDefaultFunds.map((member, index): [string, DeficitResource] => [
      `memberDefaultFunds[${index}]`,
      member,
    ]),
  ];
  assertBounded(input.memberDefaultFunds, 'memberDefaultFunds');
  const seen = new Set<string>([input.accountId, input.insuranceFundAccountId]);
  if (seen.size !== 2) throw new ClearingError('DUPLICATE_ACCOUNT', 'insuranceFundAccountId', 'is the defaulter');
  for (const [field, resource] of resources) {
    assertIdentifier(resource.accountId, `${field}.accountId`);
    if (seen.has(resource.accountId)) {
      throw new ClearingError('DUPLICATE_ACCOUNT', `${field}.accountId`, 'is used by another layer or the defaulter');
    }
    seen.add(resource.accountId);
    assertAtScale(resource.balance, input.settlementAssetScale, `${field}.balance`);
  }
}
