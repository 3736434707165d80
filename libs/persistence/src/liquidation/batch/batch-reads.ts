/**
 * The batch's reads, each done once for all its liquidations: the liquidation rows locked (given ones in
 * id order, claimed ones SKIP LOCKED), their next step numbers, the accounts' liquidatable books and balances,
 * the house accounts' balances, and the default waterfall's resources for the deficits the batch may cover.
 */

import type { DeficitResource } from '@novation/clearing';
import { Decimal, ZERO } from '@novation/money';
import type { EntityManager } from 'typeorm';
import type { AccountEntity } from '../../entities/membership.entity.js';
import { InstrumentEntity } from '../../entities/reference-data.entity.js';
import { compareText } from '../../margin/margin-request-builder.js';
import { lockAccounts } from '../../margin/transaction.js';
import { arrayParameter } from '../../trades/sql.js';
import { EMPTY_RESOURCE_ID, defaultFundContributions } from '../cover-liquidation-deficit.js';
import { liquidatableBook, type BookPosition } from '../execute-liquidation-step.js';
import { houseAccountId } from '../liquidation-store.js';
import type { BatchWaterfall, FinalCandidate, LockedRow } from './batch-types.js';

const LIQUIDATION_COLUMNS = `id, account_id, status, next_step_at`;

/**
 * The given liquidations locked in id order (waiting for a step another transaction runs, as one by one),
 * then up to `claim` other due ones, oldest due first, skipping any a concurrent step holds.
 */
export async function lockBatch(
  manager: EntityManager,
  givenIds: readonly string[],
  claim: number,
  nowEpochMs: number,
): Promise<LockedRow[]> {
  const given: LockedRow[] =
    givenIds.length === 0
      ? []
      : await manager.query(
          `SELECT ${LIQUIDATION_COLUMNS} FROM liquidation WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
          [arrayParameter(givenIds)],
        );
  if (claim === 0) return given;
  const claimed: LockedRow[] = await manager.query(
    `SELECT ${LIQUIDATION_COLUMNS} FROM liquidation
      WHERE status IN ('pending', 'in_progress') AND (next_step_at IS NULL OR next_step_at <= $1)
        AND id <> ALL($2::uuid[])
      ORDER BY next_step_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [new Date(nowEpochMs), arrayParameter(givenIds), claim],
  );
  return [...given, ...claimed.sort((a, b) => compareText(a.id, b.id))];
}

/** The number each liquidation's next step takes (1 for the first), in one statement. */
export async function nextStepNumbers(
  manager: EntityManager,
  liquidationIds: readonly string[],
): Promise<Map<string, number>> {
  const rows: { liquidation_id: string; last: number }[] = await manager.query(
    `SELECT liquidation_id, max(step_number)::int AS last FROM liquidation_step
      WHERE liquidation_id = ANY($1::uuid[]) GROUP BY liquidation_id`,
    [arrayParameter(liquidationIds)],
  );
  const last = new Map(rows.map((row) => [row.liquidation_id, Number(row.last)]));
  return new Map(liquidationIds.map((id) => [id, (last.get(id) ?? 0) + 1]));
}

/** Every account's liquidatable book (liquidatableBook), from one read of positions and one of instruments. */
export async function loadBooks(
  manager: EntityManager,
  accountIds: readonly string[],
): Promise<{ books: Map<string, BookPosition[]>; openPositions: Map<string, number> }> {
  const rows: { account_id: string; instrument_id: string; quantity: string; average_entry_price: string | null }[] =
    await manager.query(
      `SELECT account_id, instrument_id, quantity::text AS quantity, average_entry_price::text AS average_entry_price
         FROM position WHERE account_id = ANY($1::uuid[]) AND quantity <> 0 ORDER BY account_id, instrument_id`,
      [arrayParameter(accountIds)],
    );
  const instrumentIds = [...new Set(rows.map((row) => row.instrument_id))];
  const instruments =
    instrumentIds.length === 0
      ? []
      : await manager
          .createQueryBuilder(InstrumentEntity, 'instrument')
          .where('instrument.id IN (:...ids)', { ids: instrumentIds })
          .getMany();
  const byId = new Map(instruments.map((row) => [row.id, row]));
  const positionsByAccount = new Map<
    string,
    { instrumentId: string; quantity: Decimal; averageEntryPrice: Decimal | null }[]
  >();
  for (const row of rows) {
    const list = positionsByAccount.get(row.account_id) ?? [];
    list.push({
      instrumentId: row.instrument_id,
      quantity: new Decimal(row.quantity),
      averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
    });
    positionsByAccount.set(row.account_id, list);
  }
  return {
    books: new Map(
      [...positionsByAccount].map(([accountId, positions]) => [accountId, liquidatableBook(positions, byId)]),
    ),
    // Every open position, spot included: a final step covers a deficit only once the account is flat.
    openPositions: new Map([...positionsByAccount].map(([accountId, positions]) => [accountId, positions.length])),
  };
}

interface Balances {
  readonly settlement: Decimal;
  readonly others: Map<string, Decimal>;
}

/** Each account's settlement balance and its other non-zero balances (accountBalances of many accounts). */
export async function loadBalances(
  manager: EntityManager,
  accounts: readonly AccountEntity[],
): Promise<Map<string, Balances>> {
  const rows: { account_id: string; asset: string; balance: string }[] = await manager.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance
      WHERE account_id = ANY($1::uuid[]) AND balance <> 0 ORDER BY account_id, asset`,
    [arrayParameter(accounts.map((account) => account.id))],
  );
  const balances = new Map<string, Balances>(
    accounts.map((account) => [account.id, { settlement: ZERO, others: new Map<string, Decimal>() }]),
  );
  const settlementAssets = new Map(accounts.map((account) => [account.id, account.settlementAsset]));
  for (const row of rows) {
    const entry = balances.get(row.account_id) as Balances;
    if (settlementAssets.get(row.account_id) === row.asset) {
      balances.set(row.account_id, { ...entry, settlement: new Decimal(row.balance) });
    } else {
      entry.others.set(row.asset, new Decimal(row.balance));
    }
  }
  return balances;
}

/** House accounts' balances by asset, before the batch writes anything (followed through it in id order). */
export async function houseBalances(
  manager: EntityManager,
  accountIds: readonly string[],
): Promise<Map<string, Map<string, Decimal>>> {
  const rows: { account_id: string; asset: string; balance: string }[] = await manager.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance WHERE account_id = ANY($1::uuid[])`,
    [arrayParameter(accountIds)],
  );
  const balances = new Map(accountIds.map((id) => [id, new Map<string, Decimal>()]));
  for (const row of rows) balances.get(row.account_id)?.set(row.asset, new Decimal(row.balance));
  return balances;
}

/**
 * The waterfall's resources for the batch's deficits: every firm's default-fund contribution in their assets
 * (one read) and each defaulter's margin layer (one read, the accounts then locked as one by one locks its
 * pick). A defaulter whose firm has another account in the batch gets none (its cover is deferred): a step
 * of that account earlier in the batch could change which account, holding what, is the firm's margin.
 */
export async function waterfallResources(
  manager: EntityManager,
  candidates: readonly FinalCandidate[],
  batchAccounts: readonly AccountEntity[],
): Promise<BatchWaterfall | null> {
  const firmCounts = new Map<string, number>();
  for (const account of batchAccounts) {
    if (account.memberFirmId !== null) {
      firmCounts.set(account.memberFirmId, (firmCounts.get(account.memberFirmId) ?? 0) + 1);
    }
  }
  const covering = candidates.filter(
    (step) =>
      !step.deficit.isZero() && step.account.memberFirmId !== null && firmCounts.get(step.account.memberFirmId) === 1,
  );
  if (covering.length === 0) return null;
  const contributions = await defaultFundContributions(
    manager,
    await houseAccountId(manager, 'default_fund'),
    covering.map((step) => step.account.settlementAsset),
  );
  const rows: { ordinal: string; id: string; balance: string }[] = await manager.query(
    `SELECT DISTINCT ON (want.ordinal) want.ordinal::text AS ordinal, account.id, balance.balance::text AS balance
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS want(firm, defaulter, asset, ordinal)
       JOIN account ON account.member_firm_id = want.firm AND account.id <> want.defaulter AND account.kind <> 'house'
       JOIN account_balance balance ON balance.account_id = account.id AND balance.asset = want.asset
        AND balance.balance > 0
      WHERE NOT EXISTS (SELECT 1 FROM position WHERE position.account_id = account.id AND position.quantity <> 0)
      ORDER BY want.ordinal, balance.balance DESC, account.id`,
    [
      arrayParameter(covering.map((step) => step.account.memberFirmId as string)),
      arrayParameter(covering.map((step) => step.account.id)),
      arrayParameter(covering.map((step) => step.account.settlementAsset)),
    ],
  );
  const picked = new Map(rows.map((row) => [Number(row.ordinal) - 1, row]));
  await lockAccounts(
    manager,
    rows.map((row) => row.id),
  );
  const defaulterMargins = new Map<string, DeficitResource>();
  covering.forEach((step, index) => {
    const row = picked.get(index);
    defaulterMargins.set(
      step.liquidationId,
      row === undefined
        ? { accountId: `${EMPTY_RESOURCE_ID}-margin`, balance: ZERO }
        : { accountId: row.id, balance: new Decimal(row.balance).toDecimalPlaces(step.scale, Decimal.ROUND_DOWN) },
    );
  });
  return { contributions, defaulterMargins };
}
