export { createDataSource, dataSourceOptions, entities, migrateDown, migrateUp, migrations } from './data-source.js';
export {
  DecimalTransformer,
  MONEY_PRECISION,
  MONEY_SCALE,
  NumericColumnError,
  moneyColumn,
  moneyTransformer,
} from './decimal.transformer.js';
export { JournalEntryEntity, PostingEntity } from './entities/ledger.entity.js';
export { AccountEntity, MemberFirmEntity } from './entities/membership.entity.js';
export type {
  AccountKind,
  AccountMarginState,
  AccountStatus,
  HouseRole,
  MemberFirmStatus,
} from './entities/membership.entity.js';
export { PositionEntity, TradeEntity } from './entities/clearing.entity.js';
export { IndexPriceEntity, MarkPriceEntity, UnderlyingReturnEntity } from './entities/market-data.entity.js';
export {
  DefaultFundRequirementEntity,
  LiquidationEntity,
  MarginCallEntity,
  MarginReceiptEntity,
  RiskParameterSetEntity,
} from './entities/margin.entity.js';
export type {
  LiquidationStatus,
  MarginCallStatus,
  ReceiptMarginStatus,
  RiskParameterSetStatus,
} from './entities/margin.entity.js';
export { ApiKeyEntity, AuditLogEntity } from './entities/governance.entity.js';
export type { ApiKeyRole } from './entities/governance.entity.js';
export { AssetEntity, InstrumentEntity, VenueEntity } from './entities/reference-data.entity.js';
export type { InstrumentKind, InstrumentStatus, OptionType, SettlementType } from './entities/reference-data.entity.js';
export { LedgerError, POSTINGS_PER_ENTRY_MAX, postJournalEntry } from './ledger.js';
export type { JournalEntryDraft, LedgerErrorCode, PostedEntry, PostingDraft } from './ledger.js';
export { PersistenceModule } from './persistence.module.js';
export { seedDemoMarket } from './seed/demo-market.js';
export type { DemoMarketSummary } from './seed/demo-market.js';
export { AUDIT_CHECKS, auditInvariants } from './audit/auditor.js';
export type { AuditViolation } from './audit/auditor.js';
export { toDomainInstrument } from './instrument-mapping.js';
export * from './market-data/index.js';
export * from './settlement/index.js';
export * from './margin/index.js';
export * from './collateral/index.js';
export * from './trades/index.js';
export * from './outbox/index.js';
export * from './api-keys/index.js';
export * from './events/index.js';
export * from './reports/index.js';
export * from './liquidation/index.js';
