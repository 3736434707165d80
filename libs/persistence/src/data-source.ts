import type { NovationConfig } from '@novation/config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AssetEntity, InstrumentEntity, VenueEntity } from './entities/reference-data.entity.js';
import { AccountEntity, MemberFirmEntity } from './entities/membership.entity.js';
import { JournalEntryEntity, PostingEntity } from './entities/ledger.entity.js';
import { PositionEntity, TradeEntity } from './entities/clearing.entity.js';
import { IndexPriceEntity, MarkPriceEntity, UnderlyingReturnEntity } from './entities/market-data.entity.js';
import {
  DefaultFundRequirementEntity,
  LiquidationEntity,
  MarginCallEntity,
  MarginReceiptEntity,
  RiskParameterSetEntity,
} from './entities/margin.entity.js';
import { ApiKeyEntity, AuditLogEntity } from './entities/governance.entity.js';
import { Foundation1795640489700 } from './migrations/1795640489700-Foundation.js';
import { ClearingCore1795700000000 } from './migrations/1795700000000-ClearingCore.js';
import { StatementLevelBalanceCheck1795710000000 } from './migrations/1795710000000-StatementLevelBalanceCheck.js';
import { Outbox1795720000000 } from './migrations/1795720000000-Outbox.js';
import { ParameterPhaseIn1795800000000 } from './migrations/1795800000000-ParameterPhaseIn.js';
import { ReadModelNotifications1795780000000 } from './migrations/1795780000000-ReadModelNotifications.js';
import { TickToEnqueue1795810000000 } from './migrations/1795810000000-TickToEnqueue.js';
import { NovationThroughput1795790000000 } from './migrations/1795790000000-NovationThroughput.js';
import { NovationWritePath1795820000000 } from './migrations/1795820000000-NovationWritePath.js';
import { OutboxEventsInWakeUp1795830000000 } from './migrations/1795830000000-OutboxEventsInWakeUp.js';
import { AccountEventOrder1795840000000 } from './migrations/1795840000000-AccountEventOrder.js';
import { ReceiptParameters1795850000000 } from './migrations/1795850000000-ReceiptParameters.js';
import { StatementIndex1795770000000 } from './migrations/1795770000000-StatementIndex.js';
import { AdminReferenceData1795750000000 } from './migrations/1795750000000-AdminReferenceData.js';
import { OutboxEventEntity } from './outbox/outbox-event.entity.js';
import { BacktestReportEntity } from './reports/backtest-report.entity.js';
import { Reports1795760000000 } from './migrations/1795760000000-Reports.js';
import { AccountEventEntity } from './events/account-event.entity.js';
import { AccountEvents1795730000000 } from './migrations/1795730000000-AccountEvents.js';
import { LiquidationExecution1795740000000 } from './migrations/1795740000000-LiquidationExecution.js';

/** Every entity, listed as classes (not globs): explicit, and independent of file extensions at run time. */
export const entities = [
  AssetEntity,
  VenueEntity,
  InstrumentEntity,
  MemberFirmEntity,
  AccountEntity,
  JournalEntryEntity,
  PostingEntity,
  TradeEntity,
  PositionEntity,
  IndexPriceEntity,
  MarkPriceEntity,
  UnderlyingReturnEntity,
  RiskParameterSetEntity,
  MarginReceiptEntity,
  MarginCallEntity,
  LiquidationEntity,
  DefaultFundRequirementEntity,
  AuditLogEntity,
  ApiKeyEntity,
  OutboxEventEntity,
  AccountEventEntity,
  BacktestReportEntity,
] as const;

/** Migrations in order. Never edit one that has landed: add a new one. */
export const migrations = [
  Foundation1795640489700,
  ClearingCore1795700000000,
  StatementLevelBalanceCheck1795710000000,
  Outbox1795720000000,
  AccountEvents1795730000000,
  LiquidationExecution1795740000000,
  AdminReferenceData1795750000000,
  Reports1795760000000,
  StatementIndex1795770000000,
  ReadModelNotifications1795780000000,
  ParameterPhaseIn1795800000000,
  TickToEnqueue1795810000000,
  NovationThroughput1795790000000,
  NovationWritePath1795820000000,
  OutboxEventsInWakeUp1795830000000,
  AccountEventOrder1795840000000,
  ReceiptParameters1795850000000,
] as const;

/** The one DataSource configuration of Novation: no synchronize, migrations in one transaction each. */
export function dataSourceOptions(
  config: Pick<NovationConfig, 'database'>,
  applicationName = 'novation',
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: [...entities],
    migrations: [...migrations],
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn', 'migration'],
    applicationName,
    poolSize: config.database.poolSizeMax,
    extra: {
      statement_timeout: config.database.statementTimeoutMs,
      // Connections time out instead of waiting forever for a pool slot.
      connectionTimeoutMillis: 5_000,
      // READ COMMITTED stated on every connection (whatever the server's or database's default), so a
      // transaction needs no SET TRANSACTION round trip of its own (inTransactionWithRetry).
      options: '-c TimeZone=UTC -c default_transaction_isolation=read\\ committed',
    },
  };
}

export function createDataSource(config: Pick<NovationConfig, 'database'>, applicationName?: string): DataSource {
  return new DataSource(dataSourceOptions(config, applicationName));
}

/** Applies pending migrations; returns the names applied. */
export async function migrateUp(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}

/** Reverts the last `steps` migrations. */
export async function migrateDown(dataSource: DataSource, steps = 1): Promise<void> {
  if (!Number.isInteger(steps) || steps < 1 || steps > migrations.length) {
    throw new RangeError(`steps must be an integer in [1, ${migrations.length}]`);
  }
  for (let step = 0; step < steps; step += 1) await dataSource.undoLastMigration({ transaction: 'each' });
}
