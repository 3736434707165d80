import type { RiskArrays } from './risk-arrays.js';
import { ScenarioMarginError } from './scenario-margin-error.js';
import type { ScenarioMarginParameters } from './scenario-parameters.js';

/**
 * A whole book of accounts as typed arrays (compressed sparse rows): account a holds the positions
 * accountStarts[a] .. accountStarts[a + 1] - 1. No per-account objects, so margining 100k accounts
 * allocates nothing in the loop.
 */
export interface PositionBook {
  /** accountCount + 1 offsets, non-decreasing, starting at 0 and ending at the position count. */
  readonly accountStarts: Int32Array;
  /** Index of each position's instrument in RiskArrays.instrumentIds. */
  readonly instrumentIndexes: Int32Array;
  /** Signed contracts per position. */
  readonly quantities: Float64Array;
}

/** Accounts per book call; bounds the output array and the run time of one call. */
export const BOOK_ACCOUNT_COUNT_MAX = 10_000_000;

/**
 * Initial margin of every account of a book, by the same rules as portfolioScenarioMargin but without
 * breakdowns: the batch path for end-of-cycle margining. Returns IM per account (MM = IM x factor).
 */
export function bookScenarioMargin(
  book: PositionBook,
  riskArrays: RiskArrays,
  parameters: ScenarioMarginParameters,
): Float64Array {
  const accountCount = book.accountStarts.length - 1;
  assertBook(book, riskArrays.instrumentIds.length, accountCount);
  const scenarioCount = riskArrays.scenarios.length;
  const groups = groupIndexes(riskArrays);
  const groupCount = groups.names.length;
  const settlementIndexes = assetIndexes(riskArrays.settlementAssets);
  const offsets = parameters.groupOffsets.map((offset) => ({
    first: groups.names.indexOf(offset.firstUnderlying),
    second: groups.names.indexOf(offset.secondUnderlying),
    creditFraction: offset.creditFraction,
  }));
  const losses = new Float64Array(groupCount * scenarioCount);
  const deltas = new Float64Array(groupCount);
  const shortCharges = new Float64Array(groupCount);
  const touched = new Uint8Array(groupCount);
  const scanLosses = new Float64Array(groupCount);
  const matrix = riskArrays.weightedLossMatrix;
  const { deltaNotionalPerContract, underlyingNotionalPerContract, isOption, isFuture, strikeKeyIndexes } = riskArrays;
  // Contingency scratch space (see contingency-charges.ts, the readable form of the same rules).
  const netPerStrike = parameters.shortOptionChargeBasis === 'net-per-strike';
  const futuresOffsetFraction = parameters.futuresOffsetChargeFraction ?? 0;
  const longFutures = new Float64Array(groupCount);
  const shortFutures = new Float64Array(groupCount);
  const strikeNet = new Float64Array(riskArrays.strikeKeyCount);
  const strikeGroup = new Int32Array(riskArrays.strikeKeyCount);
  const strikeTouched = new Uint8Array(riskArrays.strikeKeyCount);
  const touchedStrikes = new Int32Array(riskArrays.strikeKeyCount);
  const shortFraction = parameters.shortOptionChargeFraction;
  const { accountStarts, instrumentIndexes, quantities } = book;
  const groupOfInstrument = groups.indexes;
  const netDeltaFraction = parameters.netDeltaChargeFraction;
  const initialMargins = new Float64Array(accountCount);
  let touchedStrikeCount = 0;
  for (let account = 0; account < accountCount; account += 1) {
    const start = accountStarts[account];
    const end = accountStarts[account + 1];
    const firstAsset = start < end ? settlementIndexes[instrumentIndexes[start]] : 0;
    for (let position = start; position < end; position += 1) {
      const instrument = instrumentIndexes[position];
      const quantity = quantities[position];
      if (settlementIndexes[instrument] !== firstAsset) {
        throw new ScenarioMarginError('MIXED_SETTLEMENT_ASSETS', `account ${account} mixes settlement assets`);
      }
      const group = groupOfInstrument[instrument];
      const rowStart = group * scenarioCount;
      if (touched[group] === 0) {
        touched[group] = 1;
        losses.fill(0, rowStart, rowStart + scenarioCount);
        deltas[group] = 0;
        shortCharges[group] = 0;
        longFutures[group] = 0;
        shortFutures[group] = 0;
      }
      const matrixStart = instrument * scenarioCount;
      // Unrolled by eight: the hottest loop of the book (accounts x positions x scenarios). Each scenario
      // still accumulates its positions in the same order, so the sums are bit for bit those of the plain
      // loop (and of portfolioScenarioMargin).
      let scenario = 0;
      for (; scenario + 7 < scenarioCount; scenario += 8) {
        const row = rowStart + scenario;
        const column = matrixStart + scenario;
        losses[row] += quantity * matrix[column];
        losses[row + 1] += quantity * matrix[column + 1];
        losses[row + 2] += quantity * matrix[column + 2];
        losses[row + 3] += quantity * matrix[column + 3];
        losses[row + 4] += quantity * matrix[column + 4];
        losses[row + 5] += quantity * matrix[column + 5];
        losses[row + 6] += quantity * matrix[column + 6];
        losses[row + 7] += quantity * matrix[column + 7];
      }
      for (; scenario < scenarioCount; scenario += 1) {
        losses[rowStart + scenario] += quantity * matrix[matrixStart + scenario];
      }
      deltas[group] += quantity * deltaNotionalPerContract[instrument];
      const notional = quantity * underlyingNotionalPerContract[instrument];
      if (isOption[instrument] === 1) {
        if (netPerStrike) {
          const key = strikeKeyIndexes[instrument];
          if (strikeTouched[key] === 0) {
            strikeTouched[key] = 1;
            strikeNet[key] = 0;
            strikeGroup[key] = group;
            touchedStrikes[touchedStrikeCount] = key;
            touchedStrikeCount += 1;
          }
          strikeNet[key] += notional;
        } else if (notional < 0) {
          shortCharges[group] -= notional * shortFraction;
        }
      } else if (isFuture[instrument] === 1) {
        if (notional > 0) longFutures[group] += notional;
        else shortFutures[group] -= notional;
      }
    }
    for (let touched = 0; touched < touchedStrikeCount; touched += 1) {
      const key = touchedStrikes[touched];
      strikeTouched[key] = 0;
      if (strikeNet[key] < 0) shortCharges[strikeGroup[key]] -= strikeNet[key] * shortFraction;
    }
    touchedStrikeCount = 0;
    let margin = 0;
    for (let group = 0; group < groupCount; group += 1) {
      if (touched[group] === 0) {
        scanLosses[group] = 0;
        continue;
      }
      touched[group] = 0;
      let scanLoss = 0;
      const rowStart = group * scenarioCount;
      for (let scenario = 0; scenario < scenarioCount; scenario += 1) {
        const loss = losses[rowStart + scenario];
        if (loss > scanLoss) scanLoss = loss;
      }
      scanLosses[group] = scanLoss;
      const futuresOffsetCharge = Math.min(longFutures[group], shortFutures[group]) * futuresOffsetFraction;
      margin += scanLoss + shortCharges[group] + futuresOffsetCharge + Math.abs(deltas[group]) * netDeltaFraction;
    }
    for (const offset of offsets) margin -= offsetCredit(offset, scanLosses);
    initialMargins[account] = Math.max(margin, 0);
  }
  return initialMargins;
}

interface IndexedOffset {
  readonly first: number;
  readonly second: number;
  readonly creditFraction: number;
}

/** Same rule as groupOffsetCredit: credit the smaller loss once, then use it up on both sides. */
function offsetCredit(offset: IndexedOffset, scanLosses: Float64Array): number {
  if (offset.first < 0 || offset.second < 0) return 0;
  const shared = Math.min(scanLosses[offset.first], scanLosses[offset.second]);
  scanLosses[offset.first] -= shared;
  scanLosses[offset.second] -= shared;
  return offset.creditFraction * shared;
}

function groupIndexes(riskArrays: RiskArrays): { readonly names: string[]; readonly indexes: Int32Array } {
  const names: string[] = [];
  const indexes = new Int32Array(riskArrays.underlyings.length);
  riskArrays.underlyings.forEach((underlying, instrument) => {
    let group = names.indexOf(underlying);
    if (group < 0) group = names.push(underlying) - 1;
    indexes[instrument] = group;
  });
  return { names, indexes };
}

function assetIndexes(assets: readonly string[]): Int32Array {
  const names: string[] = [];
  return Int32Array.from(assets, (asset) => {
    const index = names.indexOf(asset);
    return index >= 0 ? index : names.push(asset) - 1;
  });
}

function assertBook(book: PositionBook, instrumentCount: number, accountCount: number): void {
  const positionCount = book.quantities.length;
  if (accountCount < 0 || accountCount > BOOK_ACCOUNT_COUNT_MAX) {
    throw new ScenarioMarginError('INVALID_POSITION', `account count must be in [0, ${BOOK_ACCOUNT_COUNT_MAX}]`);
  }
  if (book.instrumentIndexes.length !== positionCount || book.accountStarts[0] !== 0) {
    throw new ScenarioMarginError('INVALID_POSITION', 'book arrays have inconsistent lengths');
  }
  if (book.accountStarts[accountCount] !== positionCount) {
    throw new ScenarioMarginError('INVALID_POSITION', 'accountStarts must end at the position count');
  }
  for (let account = 0; account < accountCount; account += 1) {
    if (book.accountStarts[account] > book.accountStarts[account + 1]) {
      throw new ScenarioMarginError('INVALID_POSITION', `accountStarts decreases at account ${account}`);
    }
  }
  for (let position = 0; position < positionCount; position += 1) {
    const instrument = book.instrumentIndexes[position];
    if (instrument < 0 || instrument >= instrumentCount || !Number.isFinite(book.quantities[position])) {
      throw new ScenarioMarginError('INVALID_POSITION', `position ${position} has a bad instrument or quantity`);
    }
  }
}
