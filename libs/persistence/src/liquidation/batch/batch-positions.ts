/**
 * Position moves of the batch: every fill applied in the batch's order to positions locked FOR UPDATE in
 * (account, instrument) order (created flat when missing), then written once each by compare-and-swap on
 * their version, rounded between fills as PostgreSQL's numeric(38,18) columns store them.
 */

import { applyFill, type ClearingPosition } from '@novation/clearing';
import { Decimal } from '@novation/money';
import type { EntityManager } from 'typeorm';
import { arrayParameter } from '../../trades/sql.js';
import type { SliceFill } from '../execute-liquidation-step.js';
import { LiquidationError } from '../liquidation-error.js';

/**
 * Applies `fills` (in order: the batch's id order) to their positions, locked in (account, instrument)
 * order, and writes each once: a position several fills move (the liquidation account's) moves as it would
 * one fill at a time, rounded as PostgreSQL stores it between fills.
 */
export async function movePositions(
  manager: EntityManager,
  fills: readonly SliceFill[],
  nowEpochMs: number,
): Promise<void> {
  if (fills.length === 0) return;
  const positions = await lockPositions(
    manager,
    fills.map(({ change }) => [change.accountId, change.instrumentId] as const),
  );
  for (const { change, instrument } of fills) {
    const moved = positions.get(positionKey(change.accountId, change.instrumentId)) as MovedPosition;
    const next = applyFill(
      moved.position,
      {
        side: change.quantityChange.isNegative() ? 'sell' : 'buy',
        quantity: change.quantityChange.abs(),
        price: change.price,
      },
      instrument,
    ).position;
    moved.position = {
      quantity: stored(next.quantity),
      averageEntryPrice:
        next.averageEntryPrice === null || next.quantity.isZero() ? null : stored(next.averageEntryPrice),
      realisedPnl: stored(moved.position.realisedPnl.plus(change.realisedPnl)),
    };
    moved.fills += 1;
  }
  await updatePositions(manager, [...positions.values()], nowEpochMs);
}

/** numeric(38,18): what PostgreSQL keeps of a value written to a position column (it rounds half away from 0). */
const POSITION_SCALE = 18;
const stored = (value: Decimal): Decimal => value.toDecimalPlaces(POSITION_SCALE, Decimal.ROUND_HALF_UP);

interface MovedPosition {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly version: string;
  position: ClearingPosition;
  fills: number;
}

const positionKey = (accountId: string, instrumentId: string): string => `${accountId}/${instrumentId}`;

/**
 * The positions of `keys` locked FOR UPDATE in (account, instrument) order, each created flat first when
 * missing (the liquidation account's first fill in an instrument), as lockPosition does one at a time.
 */
async function lockPositions(
  manager: EntityManager,
  keys: readonly (readonly [string, string])[],
): Promise<Map<string, MovedPosition>> {
  const unique = [
    ...new Map(
      keys.map(([account, instrument]) => [positionKey(account, instrument), [account, instrument] as const]),
    ).values(),
  ];
  const accounts = arrayParameter(unique.map(([account]) => account));
  const instruments = arrayParameter(unique.map(([, instrument]) => instrument));
  const select = () =>
    manager.query(
      `SELECT position.account_id, position.instrument_id, quantity::text AS quantity,
              average_entry_price::text AS average_entry_price, realised_pnl::text AS realised_pnl,
              version::text AS version
         FROM position JOIN unnest($1::uuid[], $2::uuid[]) AS wanted(account_id, instrument_id)
           ON position.account_id = wanted.account_id AND position.instrument_id = wanted.instrument_id
        ORDER BY position.account_id, position.instrument_id FOR UPDATE OF position`,
      [accounts, instruments],
    ) as Promise<
      {
        account_id: string;
        instrument_id: string;
        quantity: string;
        average_entry_price: string | null;
        realised_pnl: string;
        version: string;
      }[]
    >;
  let rows = await select();
  if (rows.length < unique.length) {
    await manager.query(
      `INSERT INTO position (account_id, instrument_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])
       ORDER BY 1, 2 ON CONFLICT (account_id, instrument_id) DO NOTHING`,
      [accounts, instruments],
    );
    rows = await select();
  }
  const positions = new Map<string, MovedPosition>();
  for (const row of rows) {
    positions.set(positionKey(row.account_id, row.instrument_id), {
      accountId: row.account_id,
      instrumentId: row.instrument_id,
      version: row.version,
      position: {
        quantity: new Decimal(row.quantity),
        averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
        realisedPnl: new Decimal(row.realised_pnl),
      },
      fills: 0,
    });
  }
  for (const [account, instrument] of unique) {
    if (!positions.has(positionKey(account, instrument))) {
      throw new LiquidationError('MISSING_POSITION', `no position ${account}/${instrument}`);
    }
  }
  return positions;
}

/** Every moved position by compare-and-swap on its version, the version advanced once per fill applied. */
async function updatePositions(
  manager: EntityManager,
  moved: readonly MovedPosition[],
  nowEpochMs: number,
): Promise<void> {
  const [, affected] = (await manager.query(
    `UPDATE position SET quantity = next.quantity, average_entry_price = next.average_entry_price,
            realised_pnl = next.realised_pnl, version = position.version + next.fills, updated_at = $7
       FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[], $8::int[])
         AS next(account_id, instrument_id, quantity, average_entry_price, realised_pnl, version, fills)
      WHERE position.account_id = next.account_id AND position.instrument_id = next.instrument_id
        AND position.version = next.version`,
    [
      arrayParameter(moved.map((m) => m.accountId)),
      arrayParameter(moved.map((m) => m.instrumentId)),
      arrayParameter(moved.map((m) => m.position.quantity.toFixed())),
      arrayParameter(
        moved.map((m) => (m.position.averageEntryPrice === null ? null : m.position.averageEntryPrice.toFixed())),
      ),
      arrayParameter(moved.map((m) => m.position.realisedPnl.toFixed())),
      arrayParameter(moved.map((m) => m.version)),
      new Date(nowEpochMs),
      arrayParameter(moved.map((m) => String(m.fills))),
    ],
  )) as [unknown, number];
  if (affected !== moved.length) {
    throw new LiquidationError('MISSING_POSITION', `position compare-and-swap updated ${affected} of ${moved.length}`);
  }
}
