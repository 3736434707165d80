import { Decimal } from '@novation/money';
import type { InstrumentKind, OptionType, SettlementType } from '../entities/reference-data.entity.js';

export interface DemoInstrument {
  readonly symbol: string;
  readonly kind: InstrumentKind;
  readonly settlementType: SettlementType;
  readonly underlying: string;
  readonly quoteAsset: string;
  readonly settlementAsset: string;
  readonly contractSize: Decimal;
  readonly expiresAt: Date | null;
  readonly strike: Decimal | null;
  readonly optionType: OptionType | null;
  readonly underlyingReference: 'spot' | 'future' | null;
  readonly quantityStep: Decimal;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

/** Last Friday of the month two months after `now`, 08:00 UTC (the usual crypto expiry time). */
export function demoExpiry(now: Date): Date {
  const firstOfFollowing = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1, 8);
  const lastDay = new Date(firstOfFollowing - 24 * 3_600_000);
  const daysBackToFriday = (lastDay.getUTCDay() - 5 + 7) % 7;
  return new Date(lastDay.getTime() - daysBackToFriday * 24 * 3_600_000);
}

/** Deribit-style expiry code, e.g. 29JAN27. */
function expiryCode(expiry: Date): string {
  const day = String(expiry.getUTCDate()).padStart(2, '0');
  return `${day}${MONTHS[expiry.getUTCMonth()]}${String(expiry.getUTCFullYear() % 100).padStart(2, '0')}`;
}

export function demoInstruments(now: Date): DemoInstrument[] {
  const expiry = demoExpiry(now);
  const code = expiryCode(expiry);
  const undated = { expiresAt: null, strike: null, optionType: null, underlyingReference: null } as const;
  const lot = new Decimal('0.001');
  const perpetual = (base: string): DemoInstrument => ({
    symbol: `${base}-PERP`,
    kind: 'perpetual',
    settlementType: 'linear',
    underlying: `${base}-USD`,
    quoteAsset: 'USDC',
    settlementAsset: 'USDC',
    contractSize: new Decimal(1),
    quantityStep: lot,
    ...undated,
  });
  const option = (strike: number, optionType: OptionType): DemoInstrument => ({
    symbol: `BTC-${code}-${strike}-${optionType === 'call' ? 'C' : 'P'}`,
    kind: 'option',
    settlementType: 'inverse',
    underlying: 'BTC-USD',
    quoteAsset: 'BTC',
    settlementAsset: 'BTC',
    contractSize: new Decimal(1),
    expiresAt: expiry,
    strike: new Decimal(strike),
    optionType,
    underlyingReference: 'spot',
    quantityStep: new Decimal('0.1'),
  });
  return [
    perpetual('BTC'),
    perpetual('ETH'),
    {
      symbol: 'BTC-USD-PERP',
      kind: 'perpetual',
      settlementType: 'inverse',
      underlying: 'BTC-USD',
      quoteAsset: 'USDC',
      settlementAsset: 'BTC',
      contractSize: new Decimal(10),
      quantityStep: new Decimal(1),
      ...undated,
    },
    {
      symbol: `BTC-${code}`,
      kind: 'future',
      settlementType: 'linear',
      underlying: 'BTC-USD',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      contractSize: new Decimal(1),
      expiresAt: expiry,
      strike: null,
      optionType: null,
      underlyingReference: null,
      quantityStep: lot,
    },
    option(90_000, 'call'),
    option(100_000, 'call'),
    option(110_000, 'call'),
    option(80_000, 'put'),
    option(90_000, 'put'),
  ];
}
