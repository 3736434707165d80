import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import { AssetEntity, InstrumentEntity, VenueEntity, type InstrumentStatus } from '@novation/persistence';
import type { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { parseAmount } from './amounts.js';
import { isUniqueViolation } from './database-errors.js';
import type {
  ChangeInstrumentStatusInput,
  CreateInstrumentInput,
  ListInstrumentsInput,
} from './dto/instrument.input.js';
import { pageOf } from './dto/page.input.js';
import type { InstrumentModel, InstrumentPageModel } from './models/instrument.model.js';
import { ReferenceDataException, fieldException, type FieldViolation } from './reference-data.exception.js';

const SUBJECT_TYPE = 'instrument';

/**
 * Instruments and their lifecycle. Status values are the schema's: active, delisted, expired.
 * - active -> delisted: trading stops (trade novation and settlement runs accept only active instruments).
 *   Refused while positions are open: a delisted instrument gets no variation margin, funding or expiry
 *   settlement, so open positions would be stranded. Close them (or settle at expiry) first.
 * - delisted -> active: relisting, refused once the instrument's expiry has passed.
 * - active | delisted -> expired: dated instruments (future, option) only, at or after expiresAt, and only
 *   with no open position. Expiry with open positions is settleExpiry's job (libs/persistence settlement):
 *   it pays every position, flattens it and marks the instrument expired in one transaction, under the
 *   same row lock taken here. Expiring by hand is for an instrument nobody holds.
 * Every change locks the instrument row FOR UPDATE: trade novation reads instruments FOR SHARE, so a trade
 * either commits before the change or sees it.
 */
@Injectable()
export class InstrumentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(input: ListInstrumentsInput): Promise<InstrumentPageModel> {
    const { limit, offset } = pageOf(input);
    const where: FindOptionsWhere<InstrumentEntity> = {
      ...(input.underlying === undefined ? {} : { underlying: input.underlying }),
      ...(input.kind === undefined ? {} : { kind: input.kind }),
      ...(input.status === undefined ? {} : { status: input.status }),
    };
    const [rows, total] = await this.dataSource.manager.findAndCount(InstrumentEntity, {
      where,
      order: { symbol: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items: rows.map(toInstrumentModel), total, limit, offset };
  }

  async get(id: string): Promise<InstrumentModel> {
    return toInstrumentModel(await findInstrument(this.dataSource.manager, id, false));
  }

  async create(actor: AdminPrincipal, input: CreateInstrumentInput, nowEpochMs: number): Promise<InstrumentModel> {
    const row = instrumentRow(input, nowEpochMs);
    return this.dataSource.transaction(async (manager) => {
      for (const [field, code] of [
        ['quoteAsset', input.quoteAsset],
        ['settlementAsset', input.settlementAsset],
      ] as const) {
        if (!(await manager.existsBy(AssetEntity, { code }))) {
          throw fieldException('ASSET_NOT_FOUND', field, `names no asset (${code})`);
        }
      }
      if (input.venueId !== undefined && !(await manager.existsBy(VenueEntity, { id: input.venueId }))) {
        throw fieldException('VENUE_NOT_FOUND', 'venueId', 'names no venue');
      }
      if (await manager.existsBy(InstrumentEntity, { symbol: input.symbol })) {
        throw fieldException('ALREADY_EXISTS', 'symbol', `${input.symbol} is listed already`);
      }
      let id: string;
      try {
        const inserted = await manager.insert(InstrumentEntity, row);
        id = String(inserted.identifiers[0]?.['id']);
      } catch (error) {
        if (isUniqueViolation(error)) throw fieldException('ALREADY_EXISTS', 'symbol', `${input.symbol} is listed`);
        throw error;
      }
      const created = await manager.findOneByOrFail(InstrumentEntity, { id });
      const model = toInstrumentModel(created);
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'instrument.listed',
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: { request: { ...input }, instrument: { ...model } },
        },
        manager,
      );
      return model;
    });
  }

  async changeStatus(
    actor: AdminPrincipal,
    id: string,
    input: ChangeInstrumentStatusInput,
    nowEpochMs: number,
  ): Promise<InstrumentModel> {
    return this.dataSource.transaction(async (manager) => {
      const instrument = await findInstrument(manager, id, true);
      await assertTransition(manager, instrument, input.status, nowEpochMs);
      await manager.update(InstrumentEntity, { id }, { status: input.status });
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'instrument.status-changed',
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: {
            symbol: instrument.symbol,
            reason: input.reason,
            changes: { status: { from: instrument.status, to: input.status } },
          },
        },
        manager,
      );
      return toInstrumentModel(await manager.findOneByOrFail(InstrumentEntity, { id }));
    });
  }
}

async function assertTransition(
  manager: EntityManager,
  instrument: InstrumentEntity,
  to: InstrumentStatus,
  nowEpochMs: number,
): Promise<void> {
  const from = instrument.status;
  const transition = `${from} -> ${to}`;
  const expired = instrument.expiresAt !== null && instrument.expiresAt.getTime() <= nowEpochMs;
  switch (transition) {
    case 'active -> delisted':
      await assertNoOpenPositions(manager, instrument);
      return;
    case 'delisted -> active':
      if (expired) {
        throw new ReferenceDataException('INSTRUMENT_ALREADY_EXPIRED', `${instrument.symbol} expired, cannot relist`);
      }
      return;
    case 'active -> expired':
    case 'delisted -> expired':
      if (instrument.kind !== 'future' && instrument.kind !== 'option') {
        throw new ReferenceDataException('INVALID_TRANSITION', `a ${instrument.kind} does not expire; delist it`);
      }
      if (!expired) {
        throw new ReferenceDataException(
          'NOT_YET_EXPIRED',
          `${instrument.symbol} expires at ${instrument.expiresAt?.toISOString()}`,
        );
      }
      await assertNoOpenPositions(manager, instrument);
      return;
    default:
      throw new ReferenceDataException('INVALID_TRANSITION', `${instrument.symbol}: ${transition} is not allowed`);
  }
}

async function assertNoOpenPositions(manager: EntityManager, instrument: InstrumentEntity): Promise<void> {
  const [row] = (await manager.query(
    `SELECT count(*)::int AS open FROM position WHERE instrument_id = $1 AND quantity <> 0`,
    [instrument.id],
  )) as { open: number }[];
  const open = row?.open ?? 0;
  if (open > 0) {
    throw new ReferenceDataException(
      'OPEN_POSITIONS',
      `${instrument.symbol} has ${open} open position(s); close them or run the expiry settlement first`,
    );
  }
}

async function findInstrument(manager: EntityManager, id: string, lock: boolean): Promise<InstrumentEntity> {
  const row = await manager.findOne(InstrumentEntity, {
    where: { id },
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (row === null) throw new ReferenceDataException('INSTRUMENT_NOT_FOUND', `no instrument ${id}`);
  return row;
}

/** The row to insert, with every kind-specific rule checked (all violations listed at once). */
function instrumentRow(input: CreateInstrumentInput, nowEpochMs: number): Partial<InstrumentEntity> {
  const violations: FieldViolation[] = [];
  const dated = input.kind === 'future' || input.kind === 'option';
  const option = input.kind === 'option';
  const refuse = (field: string, message: string): void => {
    violations.push({ field, message });
  };
  if (dated && input.expiresAt === undefined) refuse('expiresAt', 'is required for futures and options');
  if (!dated && input.expiresAt !== undefined) refuse('expiresAt', `is not allowed for a ${input.kind}`);
  for (const [field, value] of [
    ['strike', input.strike],
    ['optionType', input.optionType],
  ] as const) {
    if (option && value === undefined) refuse(field, 'is required for options');
    if (!option && value !== undefined) refuse(field, `is not allowed for a ${input.kind}`);
  }
  if (!option && input.underlyingReference !== undefined) refuse('underlyingReference', 'is for options only');
  if (input.kind === 'spot' && input.settlementType !== 'linear') refuse('settlementType', 'spot is linear');
  if (violations.length > 0) {
    throw new ReferenceDataException('INVALID_INSTRUMENT', `${violations.length} violation(s)`, violations);
  }
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
  if (expiresAt !== null && expiresAt.getTime() <= nowEpochMs) {
    // Listing something already past its expiry would take trades no settlement run can ever settle.
    throw new ReferenceDataException('INSTRUMENT_ALREADY_EXPIRED', `expiresAt ${input.expiresAt} has passed`, [
      { field: 'expiresAt', message: 'must be in the future' },
    ]);
  }
  return {
    symbol: input.symbol,
    kind: input.kind,
    settlementType: input.settlementType,
    underlying: input.underlying,
    quoteAsset: input.quoteAsset,
    settlementAsset: input.settlementAsset,
    contractSize: parseAmount(input.contractSize, 'contractSize'),
    quantityStep: input.quantityStep === undefined ? new Decimal(1) : parseAmount(input.quantityStep, 'quantityStep'),
    priceTick: input.priceTick === undefined ? null : parseAmount(input.priceTick, 'priceTick'),
    expiresAt,
    strike: input.strike === undefined ? null : parseAmount(input.strike, 'strike'),
    optionType: input.optionType ?? null,
    underlyingReference: option ? (input.underlyingReference ?? 'spot') : null,
    venueId: input.venueId ?? null,
    status: 'active',
  };
}

export function toInstrumentModel(row: InstrumentEntity): InstrumentModel {
  return {
    id: row.id,
    symbol: row.symbol,
    kind: row.kind,
    settlementType: row.settlementType,
    underlying: row.underlying,
    quoteAsset: row.quoteAsset,
    settlementAsset: row.settlementAsset,
    contractSize: row.contractSize.toFixed(),
    quantityStep: row.quantityStep.toFixed(),
    priceTick: row.priceTick?.toFixed() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    strike: row.strike?.toFixed() ?? null,
    optionType: row.optionType,
    underlyingReference: row.underlyingReference,
    status: row.status,
    venueId: row.venueId,
    createdAt: row.createdAt.toISOString(),
  };
}
