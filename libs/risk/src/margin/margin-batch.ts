import type { Instrument } from '@novation/instruments';
import { buildHistoricalEsArrays } from '../historical-es/historical-es-arrays.js';
import { buildRiskArrays } from '../scenario/risk-arrays.js';
import type { MarginResult } from './compute-margin.js';
import { computeMarginWithArrays } from './compute-margin.js';
import type { MarginContext, SharedModelArrays } from './margin-context.js';
import { buildMarginContext } from './margin-context.js';
import { MarginError, asMarginError } from './margin-error.js';
import type { MarginBatch, MarginRequest } from './margin-request-schema.js';
import { marginBatchSchema } from './margin-request-schema.js';
import { historicalEsMarket } from './historical-es-model.js';
import { scenarioSnapshot } from './portfolio-scenario-model.js';

export type MarginBatchOutcome =
  | { readonly accountId: string; readonly result: MarginResult }
  | {
      readonly accountId: string;
      readonly error: { readonly code: string; readonly message: string; readonly field: string | null };
    };

/** Called after each account; `done` counts accounts finished, `total` is the batch size. */
export type MarginBatchProgress = (done: number, total: number) => void;

export function parseMarginBatch(raw: unknown): MarginBatch {
  const parsed = marginBatchSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const path = issue?.path.map(String) ?? [];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  throw new MarginError('INVALID_REQUEST', issue?.message ?? 'invalid margin batch', path.join('.'));
}

/** The single-account request of one batch account: what its receipt would hash. */
export function batchAccountRequest(batch: MarginBatch, index: number): MarginRequest {
  const account = batch.accounts[index];
  if (account === undefined) throw new MarginError('INVALID_REQUEST', `no account ${index}`, 'accounts');
  const { accounts: _accounts, ...common } = batch;
  return { ...common, positions: account.positions, collateral: account.collateral };
}

/**
 * Margins every account of a batch. Scenario or ES arrays are built once over every instrument the
 * batch holds (per settlement asset), then each account is margined on them; an account the engine
 * refuses gets its own typed error and the others go on. If the shared arrays cannot be built (say one
 * instrument lacks an implied vol) each account builds its own, so only the accounts holding it fail.
 */
export function computeMarginBatch(batch: MarginBatch, onProgress?: MarginBatchProgress): MarginBatchOutcome[] {
  const sharedArrays = buildSharedArrays(batch);
  return batch.accounts.map((account, index) => {
    let outcome: MarginBatchOutcome;
    try {
      outcome = {
        accountId: account.accountId,
        result: computeMarginWithArrays(batchAccountRequest(batch, index), sharedArrays),
      };
    } catch (error) {
      const marginError = asMarginError(error);
      outcome = {
        accountId: account.accountId,
        error: { code: marginError.code, message: marginError.message, field: marginError.field ?? null },
      };
    }
    onProgress?.(index + 1, batch.accounts.length);
    return outcome;
  });
}

function buildSharedArrays(batch: MarginBatch): SharedModelArrays | undefined {
  const { portfolioScenario, historicalEs } = batch.parameters;
  if (batch.model === 'standard') return undefined;
  try {
    const context = buildMarginContext({ ...batchAccountRequest({ ...batch, accounts: [emptyAccount()] }, 0) });
    const groups = instrumentsBySettlementAsset(batch, context);
    const shared: SharedModelArrays = { scenario: new Map(), historicalEs: new Map() };
    for (const [settlementAsset, instruments] of groups) {
      if (batch.model === 'portfolio-scenario' && portfolioScenario !== undefined) {
        shared.scenario.set(
          settlementAsset,
          buildRiskArrays(instruments, scenarioSnapshot(context), portfolioScenario),
        );
      }
      if (batch.model === 'historical-es' && historicalEs !== undefined) {
        shared.historicalEs.set(
          settlementAsset,
          buildHistoricalEsArrays(instruments, historicalEsMarket(context), historicalEs),
        );
      }
    }
    return shared;
  } catch (error) {
    asMarginError(error); // rethrows a bug; a refusal falls back to per-account arrays
    return undefined;
  }
}

function emptyAccount(): MarginBatch['accounts'][number] {
  return { accountId: 'shared-arrays', positions: [], collateral: { marginAsset: 'shared-arrays', holdings: [] } };
}

/** Instruments held by any account, grouped by settlement asset, in first-seen order. */
function instrumentsBySettlementAsset(batch: MarginBatch, context: MarginContext): Map<string, Instrument[]> {
  const groups = new Map<string, Instrument[]>();
  const seen = new Set<string>();
  for (const account of batch.accounts) {
    for (const position of account.positions) {
      const instrument = context.instrumentsById.get(position.instrumentId);
      if (instrument === undefined || seen.has(instrument.id)) continue;
      seen.add(instrument.id);
      const group = groups.get(instrument.settlementAsset) ?? [];
      group.push(instrument);
      groups.set(instrument.settlementAsset, group);
    }
  }
  return groups;
}
