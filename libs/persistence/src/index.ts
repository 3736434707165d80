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
export type { AccountKind, AccountStatus, HouseRole, MemberFirmStatus } from './entities/membership.entity.js';
export { AssetEntity, InstrumentEntity, VenueEntity } from './entities/reference-data.entity.js';
export type { InstrumentKind, InstrumentStatus, OptionType, SettlementType } from './entities/reference-data.entity.js';
export { LedgerError, POSTINGS_PER_ENTRY_MAX, postJournalEntry } from './ledger.js';
export type { JournalEntryDraft, LedgerErrorCode, PostedEntry, PostingDraft } from './ledger.js';
export { PersistenceModule } from './persistence.module.js';
export { seedDemoMarket } from './seed/demo-market.js';
export type { DemoMarketSummary } from './seed/demo-market.js';
