import type { Instrument } from '@novation/instruments';
import type { InstrumentEntity } from './entities/reference-data.entity.js';

/**
 * The instrument row as the domain type the pure libs (instruments, risk, clearing) take. Instrument ids
 * in the domain are the row's uuid, so positions, receipts and trades all refer to the same id.
 */
export function toDomainInstrument(row: InstrumentEntity): Instrument {
  const base = {
    id: row.id,
    underlying: row.underlying,
    quoteAsset: row.quoteAsset,
    settlementAsset: row.settlementAsset,
    contractSize: row.contractSize,
  };
  const linear = row.settlementType === 'linear';
  switch (row.kind) {
    case 'spot':
      return { ...base, kind: 'spot' };
    case 'perpetual':
      return { ...base, kind: linear ? 'linear_perpetual' : 'inverse_perpetual' };
    case 'future':
      return { ...base, kind: linear ? 'linear_future' : 'inverse_future', expiryEpochMs: expiryOf(row) };
    case 'option':
      if (row.strike === null || row.optionType === null) {
        throw new Error(`instrument ${row.symbol} is an option without strike or type`);
      }
      return {
        ...base,
        kind: 'european_option',
        settlement: row.settlementType,
        underlyingReference: row.underlyingReference ?? 'spot',
        optionType: row.optionType,
        strikePrice: row.strike,
        expiryEpochMs: expiryOf(row),
      };
  }
}

function expiryOf(row: InstrumentEntity): number {
  if (row.expiresAt === null) throw new Error(`dated instrument ${row.symbol} has no expiry`);
  return row.expiresAt.getTime();
}
