import type { NovationHouseAccounts } from '@novation/clearing';
import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import type { EntityManager } from 'typeorm';
import type { AccountKind, AccountMarginState, AccountStatus, HouseRole } from '../entities/membership.entity.js';
import type { InstrumentEntity, InstrumentStatus } from '../entities/reference-data.entity.js';
import { toDomainInstrument } from '../instrument-mapping.js';
import { arrayParameter, runQuery } from './sql.js';

/** PostgreSQL's text form of a uuid: ids in any other form are unknown (never cast, so never a SQL error). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface InstrumentReference {
  readonly domain: Instrument;
  readonly venueId: string | null;
  readonly status: InstrumentStatus;
  readonly expiresAtEpochMs: number | null;
  readonly quantityStep: Decimal;
  readonly priceTick: Decimal | undefined;
  /** Decimals of the settlement asset. */
  readonly settlementAssetScale: number;
}

export interface AccountReference {
  readonly id: string;
  readonly kind: AccountKind;
  readonly houseRole: HouseRole | null;
  readonly status: AccountStatus;
  readonly isolatedInstrumentId: string | null;
  /**
   * Read with the batch's reference data, not locked: a margin run that moves the account between this
   * read and the commit is not seen by this batch (its next margin check sees the batch's positions).
   */
  readonly marginState: AccountMarginState;
}

export interface StoredTrade {
  readonly id: string;
  readonly payloadHash: string;
}

export interface BatchReferenceData {
  readonly venueExists: boolean;
  readonly instruments: ReadonlyMap<string, InstrumentReference>;
  readonly accounts: ReadonlyMap<string, AccountReference>;
  readonly houseAccounts: NovationHouseAccounts;
  /** Trades of this venue already stored, by venue trade id. */
  readonly storedTrades: ReadonlyMap<string, StoredTrade>;
}

interface InstrumentJson {
  id: string;
  symbol: string;
  kind: InstrumentEntity['kind'];
  settlementType: InstrumentEntity['settlementType'];
  underlying: string;
  quoteAsset: string;
  settlementAsset: string;
  contractSize: string;
  expiresAt: string | null;
  strike: string | null;
  optionType: InstrumentEntity['optionType'];
  status: InstrumentStatus;
  venueId: string | null;
  underlyingReference: InstrumentEntity['underlyingReference'];
  quantityStep: string;
  priceTick: string | null;
  scale: number;
}

interface ContextRow {
  venue_exists: boolean;
  instruments: InstrumentJson[];
  accounts: AccountReference[];
  house: Partial<Record<HouseRole, string>> | null;
  trades: { id: string; venueTradeId: string; payloadHash: string }[];
}

/**
 * Everything a batch is validated against, in ONE round trip: the venue, the batch's instruments (with
 * their settlement asset's scale), its accounts, the two house accounts a trade posts to, and the trades
 * of this venue already stored under the batch's venue trade ids. Numerics travel as text (never a JS number).
 *
 * The stored trades are looked up one venue trade id at a time (the LIMIT keeps the lateral subquery a
 * probe of the (venue_id, venue_trade_id) index): with `venue_trade_id = ANY(...)` the planner, misled by
 * statistics older than the venue's latest trades, scanned every trade of the venue and filtered them,
 * a cost that grew with the venue's history (15,000 rows read per batch after 30 batches).
 */
export async function loadBatchReferenceData(
  manager: EntityManager,
  venueId: string,
  instrumentIds: readonly string[],
  accountIds: readonly string[],
  venueTradeIds: readonly string[],
): Promise<BatchReferenceData> {
  const { records } = await runQuery<ContextRow>(
    manager,
    `SELECT
       EXISTS (SELECT 1 FROM venue WHERE id = $1::uuid) AS venue_exists,
       (SELECT coalesce(json_agg(json_build_object(
          'id', i.id, 'symbol', i.symbol, 'kind', i.kind, 'settlementType', i.settlement_type,
          'underlying', i.underlying, 'quoteAsset', i.quote_asset, 'settlementAsset', i.settlement_asset,
          'contractSize', i.contract_size::text, 'expiresAt', i.expires_at, 'strike', i.strike::text,
          'optionType', i.option_type, 'status', i.status, 'venueId', i.venue_id,
          'underlyingReference', i.underlying_reference, 'quantityStep', i.quantity_step::text,
          'priceTick', i.price_tick::text, 'scale', a.scale)), '[]'::json)
        FROM instrument i JOIN asset a ON a.code = i.settlement_asset WHERE i.id = ANY($2::uuid[])) AS instruments,
       (SELECT coalesce(json_agg(json_build_object(
          'id', account.id, 'kind', account.kind, 'houseRole', account.house_role, 'status', account.status,
          'isolatedInstrumentId', account.isolated_instrument_id, 'marginState', account.margin_state)), '[]'::json)
        FROM account WHERE id = ANY($3::uuid[])) AS accounts,
       (SELECT json_object_agg(house_role, id) FROM account
        WHERE kind = 'house' AND house_role IN ('fee_revenue', 'variation_margin')) AS house,
       (SELECT coalesce(json_agg(json_build_object(
          'id', stored.id::text, 'venueTradeId', stored.venue_trade_id, 'payloadHash', stored.payload_hash)), '[]'::json)
        FROM unnest($4::varchar[]) AS wanted(venue_trade_id)
        CROSS JOIN LATERAL (
          SELECT trade.id, trade.venue_trade_id, trade.payload_hash FROM trade
          WHERE trade.venue_id = $1::uuid AND trade.venue_trade_id = wanted.venue_trade_id LIMIT 1) AS stored) AS trades`,
    [venueId, arrayParameter(instrumentIds), arrayParameter(accountIds), arrayParameter(venueTradeIds)],
  );
  const [row] = records;
  if (row === undefined) throw new Error('reference data query returned no row');
  const feeRevenue = row.house?.fee_revenue;
  const variationMargin = row.house?.variation_margin;
  if (feeRevenue === undefined || variationMargin === undefined) {
    throw new Error('house accounts fee_revenue and variation_margin must exist before trades are novated');
  }
  return {
    venueExists: row.venue_exists,
    instruments: new Map(row.instruments.map((json) => [json.id, instrumentReference(json)])),
    accounts: new Map(row.accounts.map((account) => [account.id, account])),
    houseAccounts: { feeRevenue, variationMargin },
    storedTrades: new Map(
      row.trades.map((trade) => [trade.venueTradeId, { id: trade.id, payloadHash: trade.payloadHash }]),
    ),
  };
}

function instrumentReference(json: InstrumentJson): InstrumentReference {
  const expiresAt = json.expiresAt === null ? null : new Date(json.expiresAt);
  const entity: InstrumentEntity = {
    id: json.id,
    symbol: json.symbol,
    kind: json.kind,
    settlementType: json.settlementType,
    underlying: json.underlying,
    quoteAsset: json.quoteAsset,
    settlementAsset: json.settlementAsset,
    contractSize: new Decimal(json.contractSize),
    expiresAt,
    strike: json.strike === null ? null : new Decimal(json.strike),
    optionType: json.optionType,
    status: json.status,
    venueId: json.venueId,
    underlyingReference: json.underlyingReference,
    quantityStep: new Decimal(json.quantityStep),
    priceTick: json.priceTick === null ? null : new Decimal(json.priceTick),
    createdAt: new Date(0),
  };
  return {
    domain: toDomainInstrument(entity),
    venueId: json.venueId,
    status: json.status,
    expiresAtEpochMs: expiresAt === null ? null : expiresAt.getTime(),
    quantityStep: entity.quantityStep,
    priceTick: entity.priceTick ?? undefined,
    settlementAssetScale: json.scale,
  };
}
