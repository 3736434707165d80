import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  buildMarginRequest,
  publishMarketData,
  publishMarketDataAndRecordChecks,
  recordDeposit,
  seedDemoMarket,
  submitTrades,
  type RecordedMarginChecks,
} from '@novation/persistence';
import { computeMarginReceipt } from '@novation/risk';
import type { DataSource } from 'typeorm';

/** Test fixture: the demo market with BTC and ETH positions, and one thin account (DELTA) long BTC-PERP. */
export const SEED_TIME = new Date('2026-11-25T12:00:00Z');
export const T0 = SEED_TIME.getTime() + 3_600_000;

const POLICY = { maxAgeMs: 3_600_000, maxFutureSkewMs: 5_000, bandFraction: '0.2' } as const;

export interface MarginMarket {
  /** Accounts holding BTC-PERP (ALPHA:main long, BRAVO:main short, DELTA:main long), sorted. */
  readonly btcAccounts: readonly string[];
  /** Accounts holding only ETH-PERP (CHARLIE:portfolio long, BRAVO:eth-isolated short). */
  readonly ethAccounts: readonly string[];
  readonly deltaAccount: string;
  /** Publishes BTC-USD index and BTC-PERP mark at `price` observed at `atMs`, recording margin checks. */
  publishBtcMove(price: string, atMs: number): Promise<RecordedMarginChecks>;
}

export async function setUpMarginMarket(dataSource: DataSource): Promise<MarginMarket> {
  await seedDemoMarket(dataSource, SEED_TIME);
  const venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
  const btcPerp = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id;
  const ethPerp = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'ETH-PERP' })).id;
  const account = async (firmCode: string, code: string): Promise<string> => {
    const firm = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: firmCode });
    return (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: firm.id, code })).id;
  };
  const alpha = await account('ALPHA', 'main');
  const bravo = await account('BRAVO', 'main');
  const charlie = await account('CHARLIE', 'portfolio');
  const bravoIsolated = await account('BRAVO', 'eth-isolated');
  const firm = await dataSource.manager.save(MemberFirmEntity, { code: 'DELTA', name: 'Delta Thin Margin' });
  const delta = (
    await dataSource.manager.save(AccountEntity, {
      memberFirmId: firm.id,
      code: 'main',
      kind: 'cross',
      houseRole: null,
      settlementAsset: 'USDC',
      isolatedInstrumentId: null,
    })
  ).id;

  await publishMarketData(
    dataSource,
    {
      source: 'test',
      indexPrices: [
        { underlying: 'BTC-USD', price: '100000', observedAtEpochMs: T0 },
        { underlying: 'ETH-USD', price: '4000', observedAtEpochMs: T0 },
      ],
      markPrices: [
        { instrumentId: btcPerp, price: '100000', observedAtEpochMs: T0 },
        { instrumentId: ethPerp, price: '4000', observedAtEpochMs: T0 },
      ],
    },
    { ...POLICY, nowEpochMs: T0 },
  );
  const trade = (id: string, instrumentId: string, buyer: string, seller: string, quantity: string, price: string) => ({
    venueId,
    tradeId: id,
    instrumentId,
    buyerAccountId: buyer,
    sellerAccountId: seller,
    quantity,
    price,
    buyerFee: '0',
    sellerFee: '0',
    executedAtEpochMs: T0,
  });
  const traded = await submitTrades(dataSource, {
    venueId,
    mode: 'atomic',
    nowEpochMs: T0,
    trades: [
      trade('M-1', btcPerp, alpha, bravo, '1', '100000'),
      trade('M-2', btcPerp, delta, bravo, '1', '100000'),
      trade('M-3', ethPerp, charlie, bravoIsolated, '10', '4000'),
    ],
  });
  if (traded.counts.novated !== 3) throw new Error(`fixture trades not novated: ${JSON.stringify(traded.trades)}`);
  await fundBetweenMaintenanceAndInitial(dataSource, delta, T0);

  return {
    btcAccounts: [alpha, bravo, delta].sort(),
    ethAccounts: [charlie, bravoIsolated].sort(),
    deltaAccount: delta,
    publishBtcMove: async (price, atMs) =>
      (
        await publishMarketDataAndRecordChecks(
          dataSource,
          {
            source: 'test',
            indexPrices: [{ underlying: 'BTC-USD', price, observedAtEpochMs: atMs }],
            markPrices: [{ instrumentId: btcPerp, price, observedAtEpochMs: atMs }],
          },
          { ...POLICY, nowEpochMs: atMs },
        )
      ).marginChecks,
  };
}

/**
 * Deposits into DELTA (unfunded so far) enough USDC to sit between maintenance and initial margin after a
 * 1% drop of BTC (a loss of 1,000 on its 1 BTC long): IM and MM come from the engine, not hard-coded.
 */
async function fundBetweenMaintenanceAndInitial(dataSource: DataSource, accountId: string, atMs: number) {
  const result = await dataSource.transaction(async (manager) => {
    const request = await buildMarginRequest(manager, accountId, atMs);
    return computeMarginReceipt(request).result;
  });
  const initialMargin = new Decimal(result.initialMargin);
  const maintenanceMargin = new Decimal(result.maintenanceMargin);
  const target = initialMargin.plus(maintenanceMargin).dividedBy(2).plus(1_000).toDecimalPlaces(0);
  await recordDeposit(dataSource, {
    accountId,
    asset: 'USDC',
    amount: target.minus(new Decimal(result.equity)).toFixed(0),
    idempotencyKey: `fixture-delta-${accountId}`,
  });
}
