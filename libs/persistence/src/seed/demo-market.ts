import { Decimal } from '@novation/money';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountEntity, MemberFirmEntity, type AccountKind, type HouseRole } from '../entities/membership.entity.js';
import { AssetEntity, InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { ensureDemoParameterSet } from '../margin/demo-parameter-set.js';
import { postJournalEntry } from '../ledger.js';
import { demoInstruments, type DemoInstrument } from './demo-instruments.js';

const ASSETS = [
  { code: 'USDC', name: 'USD Coin', scale: 6 },
  { code: 'BTC', name: 'Bitcoin', scale: 8 },
  { code: 'ETH', name: 'Ether', scale: 8 },
] as const;

const HOUSE_ROLES: readonly HouseRole[] = [
  'custody',
  'variation_margin',
  'insurance_fund',
  'fee_revenue',
  'default_fund',
  'ccp_capital',
  'liquidation',
];

interface DemoAccount {
  readonly code: string;
  readonly kind: Exclude<AccountKind, 'house'>;
  readonly settlementAsset: string;
  readonly isolatedSymbol?: string;
  readonly deposits: readonly { asset: string; amount: string }[];
}

const MEMBER_FIRMS: readonly { code: string; name: string; accounts: readonly DemoAccount[] }[] = [
  {
    code: 'ALPHA',
    name: 'Alpha Trading LLC',
    accounts: [
      {
        code: 'main',
        kind: 'cross',
        settlementAsset: 'USDC',
        deposits: [
          { asset: 'USDC', amount: '2500000' },
          { asset: 'BTC', amount: '10' },
        ],
      },
      { code: 'options', kind: 'portfolio', settlementAsset: 'BTC', deposits: [{ asset: 'BTC', amount: '25' }] },
    ],
  },
  {
    code: 'BRAVO',
    name: 'Bravo Markets Ltd',
    accounts: [
      { code: 'main', kind: 'cross', settlementAsset: 'USDC', deposits: [{ asset: 'USDC', amount: '1000000' }] },
      {
        code: 'eth-isolated',
        kind: 'isolated',
        settlementAsset: 'USDC',
        isolatedSymbol: 'ETH-PERP',
        deposits: [{ asset: 'USDC', amount: '50000' }],
      },
    ],
  },
  {
    code: 'CHARLIE',
    name: 'Charlie Capital Partners',
    accounts: [
      {
        code: 'portfolio',
        kind: 'portfolio',
        settlementAsset: 'USDC',
        deposits: [
          { asset: 'USDC', amount: '5000000' },
          { asset: 'ETH', amount: '400' },
        ],
      },
    ],
  },
];

export interface DemoMarketSummary {
  readonly assets: number;
  readonly instruments: number;
  readonly memberFirms: number;
  readonly accounts: number;
  readonly depositsApplied: number;
}

/**
 * Seeds a small demo market: a venue, three member firms with accounts, BTC and ETH perpetuals, a dated
 * future, options, and collateral in USDC, BTC and ETH deposited from custody through the ledger.
 * Idempotent: every row is looked up by its natural key first, deposits carry idempotency keys, so
 * running it again changes nothing. `now` positions the dated expiries (the seed reads no clock).
 */
export async function seedDemoMarket(dataSource: DataSource, now: Date): Promise<DemoMarketSummary> {
  return dataSource.transaction(async (manager) => {
    await manager.upsert(
      AssetEntity,
      ASSETS.map((asset) => ({ ...asset })),
      { conflictPaths: ['code'], skipUpdateIfNoValuesChanged: true },
    );
    await manager.upsert(
      VenueEntity,
      { code: 'DEMO', name: 'Novation demo venue' },
      { conflictPaths: ['code'], skipUpdateIfNoValuesChanged: true },
    );
    const venue = await manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    const instruments = demoInstruments(now);
    for (const instrument of instruments) await ensureInstrument(manager, instrument, venue.id);
    const custody = await ensureHouseAccounts(manager);
    let accounts = 0;
    let depositsApplied = 0;
    for (const firm of MEMBER_FIRMS) {
      const memberFirmId = await ensureMemberFirm(manager, firm.code, firm.name);
      for (const demoAccount of firm.accounts) {
        const account = await ensureAccount(manager, memberFirmId, demoAccount);
        accounts += 1;
        for (const deposit of demoAccount.deposits) {
          const posted = await postJournalEntry(manager, {
            idempotencyKey: `seed:deposit:${firm.code}:${demoAccount.code}:${deposit.asset}`,
            kind: 'deposit',
            description: `demo deposit of ${deposit.amount} ${deposit.asset}`,
            postings: [
              { accountId: account.id, asset: deposit.asset, amount: new Decimal(deposit.amount) },
              { accountId: custody.id, asset: deposit.asset, amount: new Decimal(deposit.amount).negated() },
            ],
          });
          if (posted.created) depositsApplied += 1;
        }
      }
    }
    // A risk parameter set that margins every demo instrument, active from the seed time.
    await ensureDemoParameterSet(manager, now.getTime());
    return {
      assets: ASSETS.length,
      instruments: instruments.length,
      memberFirms: MEMBER_FIRMS.length,
      accounts,
      depositsApplied,
    };
  });
}

async function ensureInstrument(manager: EntityManager, instrument: DemoInstrument, venueId: string): Promise<void> {
  const existing = await manager.findOneBy(InstrumentEntity, { symbol: instrument.symbol });
  if (existing === null) await manager.insert(InstrumentEntity, { ...instrument, venueId });
}

async function ensureHouseAccounts(manager: EntityManager): Promise<AccountEntity> {
  for (const houseRole of HOUSE_ROLES) {
    const existing = await manager.findOneBy(AccountEntity, { houseRole });
    if (existing === null) {
      await manager.insert(AccountEntity, {
        memberFirmId: null,
        code: `house:${houseRole}`,
        kind: 'house',
        houseRole,
        settlementAsset: 'USDC',
        isolatedInstrumentId: null,
      });
    }
  }
  return manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' });
}

async function ensureMemberFirm(manager: EntityManager, code: string, name: string): Promise<string> {
  const existing = await manager.findOneBy(MemberFirmEntity, { code });
  if (existing !== null) return existing.id;
  const inserted = await manager.insert(MemberFirmEntity, { code, name });
  return String(inserted.identifiers[0]?.['id']);
}

async function ensureAccount(manager: EntityManager, memberFirmId: string, demo: DemoAccount): Promise<AccountEntity> {
  const existing = await manager.findOneBy(AccountEntity, { memberFirmId, code: demo.code });
  if (existing !== null) return existing;
  const isolatedInstrumentId =
    demo.isolatedSymbol === undefined
      ? null
      : (await manager.findOneByOrFail(InstrumentEntity, { symbol: demo.isolatedSymbol })).id;
  await manager.insert(AccountEntity, {
    memberFirmId,
    code: demo.code,
    kind: demo.kind,
    houseRole: null,
    settlementAsset: demo.settlementAsset,
    isolatedInstrumentId,
  });
  return manager.findOneByOrFail(AccountEntity, { memberFirmId, code: demo.code });
}
