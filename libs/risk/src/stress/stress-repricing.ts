import type { Instrument } from '@novation/instruments';
import type { ContractValuer, ScenarioMarketSnapshot } from '../scenario/contract-valuer.js';
import { contractValuer, underlyingPrice } from '../scenario/contract-valuer.js';
import { ScenarioMarginError } from '../scenario/scenario-margin-error.js';
import { StressTestError } from './stress-test-error.js';
import type { StressScenario } from './stress-test-types.js';

/** A held instrument ready to revalue: its pricer, its underlying's price now and its value now. */
interface PricedInstrument {
  readonly index: number;
  readonly underlying: string;
  readonly price: number;
  readonly valueNow: number;
  readonly valuer: ContractValuer;
}

/**
 * Prepares the pricers of the held instruments once. Instruments nobody holds are not priced, so missing
 * market data of an unheld instrument does not stop the run.
 */
export function priceHeldInstruments(
  instruments: readonly Instrument[],
  held: Uint8Array,
  snapshot: ScenarioMarketSnapshot,
  volatilityFloor: number,
): readonly PricedInstrument[] {
  const priced: PricedInstrument[] = [];
  instruments.forEach((instrument, index) => {
    if (held[index] !== 1) return;
    const field = `instruments[${index}]`;
    const price = withMarketData(field, () => underlyingPrice(snapshot, instrument.underlying));
    // No vol scaling by expiry: a stress scenario states the vol move it means, for every expiry.
    const valuer = withMarketData(field, () => contractValuer(instrument, snapshot, { volatilityFloor }));
    const valueNow = finiteValue(valuer(price, 0), field, 'the current value');
    priced.push({ index, underlying: instrument.underlying, price, valueNow, valuer });
  });
  return priced;
}

/** Profit of one long contract of each held instrument under the scenario (0 for unheld instruments). */
export function scenarioProfitPerContract(
  priced: readonly PricedInstrument[],
  instrumentCount: number,
  scenario: StressScenario,
): Float64Array {
  const profits = new Float64Array(instrumentCount);
  for (const instrument of priced) {
    const shock = scenario.underlyingShocks[instrument.underlying] ?? 0;
    const shocked = instrument.valuer(instrument.price * (1 + shock), scenario.volatilityShockFraction);
    const field = `instruments[${instrument.index}]`;
    profits[instrument.index] = finiteValue(shocked, field, `its value under ${scenario.name}`) - instrument.valueNow;
  }
  return profits;
}

function withMarketData<T>(field: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ScenarioMarginError) throw new StressTestError('MISSING_MARKET_DATA', field, error.message);
    throw error;
  }
}

function finiteValue(value: number, field: string, what: string): number {
  if (!Number.isFinite(value)) throw new StressTestError('MISSING_MARKET_DATA', field, `${what} is not finite`);
  return value;
}
