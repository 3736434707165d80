import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AssetEntity } from '@novation/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { isUniqueViolation } from './database-errors.js';
import type { CreateAssetInput, SetPriceSourceInput } from './dto/asset.input.js';
import { pageOf, type PageInput } from './dto/page.input.js';
import type { AssetModel, AssetPageModel } from './models/asset.model.js';
import { ReferenceDataException, fieldException } from './reference-data.exception.js';

const SUBJECT_TYPE = 'asset';

interface AssetRow {
  code: string;
  name: string;
  scale: number;
  price_index: string | null;
  price_source: string | null;
  created_at: Date;
}

// The price-source columns come from migration 1795750000000-AdminReferenceData and are not on
// AssetEntity (owned by the persistence lib), so this service reads and writes them with SQL.
const ASSET_COLUMNS = 'code, name, scale, price_index, price_source, created_at';

/** Assets: code, name, scale (the precision amounts settle in) and the index/feed that prices them. */
@Injectable()
export class AssetsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(input: PageInput): Promise<AssetPageModel> {
    const { limit, offset } = pageOf(input);
    const rows = (await this.dataSource.query(`SELECT ${ASSET_COLUMNS} FROM asset ORDER BY code LIMIT $1 OFFSET $2`, [
      limit,
      offset,
    ])) as AssetRow[];
    const [count] = (await this.dataSource.query(`SELECT count(*)::int AS total FROM asset`)) as { total: number }[];
    return { items: rows.map(toAssetModel), total: count?.total ?? 0, limit, offset };
  }

  async get(code: string): Promise<AssetModel> {
    return toAssetModel(await findAsset(this.dataSource.manager, code, false));
  }

  async create(actor: AdminPrincipal, input: CreateAssetInput): Promise<AssetModel> {
    assertPriceSourcePair(input.priceIndex ?? null, input.priceSource ?? null);
    return this.dataSource.transaction(async (manager) => {
      if (await manager.existsBy(AssetEntity, { code: input.code })) {
        throw fieldException('ALREADY_EXISTS', 'code', `asset ${input.code} exists`);
      }
      try {
        await manager.query(
          `INSERT INTO asset (code, name, scale, price_index, price_source) VALUES ($1, $2, $3, $4, $5)`,
          [input.code, input.name, input.scale, input.priceIndex ?? null, input.priceSource ?? null],
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw fieldException('ALREADY_EXISTS', 'code', `asset ${input.code} exists`);
        throw error;
      }
      const model = toAssetModel(await findAsset(manager, input.code, false));
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'asset.created',
          subjectType: SUBJECT_TYPE,
          subjectId: input.code,
          details: { request: { ...input }, asset: { ...model } },
        },
        manager,
      );
      return model;
    });
  }

  async setPriceSource(actor: AdminPrincipal, code: string, input: SetPriceSourceInput): Promise<AssetModel> {
    assertPriceSourcePair(input.priceIndex, input.priceSource);
    return this.dataSource.transaction(async (manager) => {
      const before = await findAsset(manager, code, true);
      await manager.query(`UPDATE asset SET price_index = $2, price_source = $3 WHERE code = $1`, [
        code,
        input.priceIndex,
        input.priceSource,
      ]);
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'asset.price-source-set',
          subjectType: SUBJECT_TYPE,
          subjectId: code,
          details: {
            changes: {
              priceIndex: { from: before.price_index, to: input.priceIndex },
              priceSource: { from: before.price_source, to: input.priceSource },
            },
          },
        },
        manager,
      );
      return toAssetModel(await findAsset(manager, code, false));
    });
  }
}

function assertPriceSourcePair(priceIndex: string | null, priceSource: string | null): void {
  if ((priceIndex === null) !== (priceSource === null)) {
    throw new ReferenceDataException('INVALID_REQUEST', 'priceIndex and priceSource are set together', [
      { field: priceIndex === null ? 'priceIndex' : 'priceSource', message: 'must be set with the other' },
    ]);
  }
}

async function findAsset(manager: EntityManager, code: string, lock: boolean): Promise<AssetRow> {
  const rows = (await manager.query(`SELECT ${ASSET_COLUMNS} FROM asset WHERE code = $1${lock ? ' FOR UPDATE' : ''}`, [
    code,
  ])) as AssetRow[];
  const [row] = rows;
  if (row === undefined) throw new ReferenceDataException('ASSET_NOT_FOUND', `no asset ${code}`);
  return row;
}

function toAssetModel(row: AssetRow): AssetModel {
  return {
    code: row.code,
    name: row.name,
    scale: row.scale,
    priceIndex: row.price_index,
    priceSource: row.price_source,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
