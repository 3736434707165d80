import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstrumentEntity, isUuid } from '@novation/persistence';
import { DataSource } from 'typeorm';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor.js';
import type { PageRequest } from '../common/pagination/pagination.args.js';
import { InstrumentsException } from './instruments.exception.js';
import { MarketDataLoaderFactory } from './market-data.loader.js';
import type { Instrument } from './models/instrument.model.js';
import type { MarketData } from './models/market-data.model.js';

const INSTRUMENT_CURSOR_KIND = 'instrument';
/** Instruments are listed by symbol (unique, varchar(64)); the cursor key is the symbol. */
const SYMBOL_KEY = /^[\x21-\x7e]{1,64}$/;

/** Filters of the instruments list, validated at the boundary. */
export interface InstrumentFilter {
  readonly underlying: string | null;
  readonly kind: Instrument['kind'] | null;
  readonly status: Instrument['status'] | null;
}

/** Reference data and latest market data: public to every authenticated role, the same for all callers. */
@Injectable()
export class InstrumentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly loaders: MarketDataLoaderFactory,
  ) {}

  async instruments(filter: InstrumentFilter, page: PageRequest): Promise<Page<Instrument>> {
    const query = this.dataSource.manager
      .createQueryBuilder(InstrumentEntity, 'instrument')
      // The unique index on symbol serves the order and the cursor.
      .orderBy('instrument.symbol', 'ASC')
      .limit(page.first + 1);
    if (filter.underlying !== null) query.andWhere('instrument.underlying = :underlying', filter);
    if (filter.kind !== null) query.andWhere('instrument.kind = :kind', filter);
    if (filter.status !== null) query.andWhere('instrument.status = :status', filter);
    if (page.after !== null) {
      const after = decodeCursor(INSTRUMENT_CURSOR_KIND, page.after, SYMBOL_KEY);
      query.andWhere('instrument.symbol > :after', { after });
    }
    const rows = await query.getMany();
    return toPage(rows, page.first, (row) => encodeCursor(INSTRUMENT_CURSOR_KIND, row.symbol), toInstrument);
  }

  /** One instrument; a malformed or unknown id is INSTRUMENT_NOT_FOUND. */
  async instrument(id: string, field: string): Promise<Instrument> {
    const row = isUuid(id) ? await this.dataSource.manager.findOneBy(InstrumentEntity, { id: id.toLowerCase() }) : null;
    if (row === null) throw new InstrumentsException('INSTRUMENT_NOT_FOUND', `no instrument ${id.slice(0, 64)}`, field);
    return toInstrument(row);
  }

  /** Batched per request: `context` is the request's GraphQL context, which scopes the loader. */
  marketData(context: object, instrument: Instrument): Promise<MarketData> {
    return this.loaders.forRequest(context).load({ instrumentId: instrument.id, underlying: instrument.underlying });
  }

  /** `marketData(instrumentId)`: the instrument first (NOT_FOUND when unknown), then the same loader. */
  async marketDataOf(context: object, instrumentId: string): Promise<MarketData> {
    const instrument = await this.instrument(instrumentId, 'instrumentId');
    return this.marketData(context, instrument);
  }
}

function toInstrument(row: InstrumentEntity): Instrument {
  return {
    id: row.id,
    symbol: row.symbol,
    kind: row.kind,
    settlementType: row.settlementType,
    underlying: row.underlying,
    quoteAsset: row.quoteAsset,
    settlementAsset: row.settlementAsset,
    contractSize: row.contractSize,
    quantityStep: row.quantityStep,
    priceTick: row.priceTick,
    expiresAt: row.expiresAt,
    strike: row.strike,
    optionType: row.optionType,
    underlyingReference: row.underlyingReference,
    status: row.status,
  };
}
