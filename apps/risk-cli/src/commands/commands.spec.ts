import { readFileSync } from 'node:fs';
import { captureCli as capture } from '../../test/capture.js';

function example(name: string): string {
  return readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8');
}

async function runJson(name: string, input: unknown) {
  return capture([name], JSON.stringify(input));
}

async function invalidField(name: string, input: unknown): Promise<unknown> {
  const { code, stderr, stdout } = await runJson(name, input);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  const body = JSON.parse(stderr);
  expect(body.error.code).toBe('INVALID_INPUT');
  expect(typeof body.error.message).toBe('string');
  return body.error.field;
}

describe('price', () => {
  it('prices the example (Haug p.2: call S=60 K=65 T=0.25 r=8% sigma=30% -> 2.1334)', async () => {
    const { code, stdout } = await capture(['price'], example('price'));
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.value).toBeCloseTo(2.1334, 4);
    expect(output.greeks.delta).toBeCloseTo(0.3725, 4);
  });

  it('prices an inverse option in coin, and Black-76', async () => {
    const base = JSON.parse(example('price'));
    const inverse = JSON.parse((await runJson('price', { ...base, settlement: 'inverse' })).stdout);
    expect(inverse.value).toBeCloseTo(2.1333684449 / 60, 10);
    expect(inverse.valueCurrency).toBe('coin');
    const { dividendYield: _omitted, ...withoutCarry } = base;
    const black76 = await runJson('price', { ...withoutCarry, model: 'black-76' });
    expect(black76.code).toBe(0);
  });

  it('names the malformed field', async () => {
    const base = JSON.parse(example('price'));
    expect(await invalidField('price', { ...base, volatility: '0.3' })).toBe('volatility');
    expect(await invalidField('price', { ...base, optionType: 'straddle' })).toBe('optionType');
    expect(await invalidField('price', { ...base, strikePrice: 65 })).toBe('strikePrice');
    expect(await invalidField('price', { ...base, carryRate: 0.08 })).toBe('dividendYield');
  });

  it('exits 3 with the pricing code for a domain error', async () => {
    const { code, stderr } = await runJson('price', { ...JSON.parse(example('price')), strike: -1 });
    expect(code).toBe(3);
    expect(JSON.parse(stderr).error.code).toBe('NON_POSITIVE_STRIKE_PRICE');
  });
});

describe('implied-vol', () => {
  it('recovers the volatility of the example', async () => {
    const { code, stdout } = await capture(['implied-vol'], example('implied-vol'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).volatility).toBeCloseTo(0.3, 9);
  });

  it('exits 3 with PRICE_ABOVE_UPPER_BOUND when the price exceeds the spot', async () => {
    const { code, stderr } = await runJson('implied-vol', { ...JSON.parse(example('implied-vol')), price: 61 });
    expect(code).toBe(3);
    expect(JSON.parse(stderr).error.code).toBe('PRICE_ABOVE_UPPER_BOUND');
  });

  it('names the malformed field', async () => {
    expect(await invalidField('implied-vol', { ...JSON.parse(example('implied-vol')), price: null })).toBe('price');
  });
});

describe('var', () => {
  it('computes historical VaR and ES of the example', async () => {
    const { code, stdout } = await capture(['var'], example('var'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ tailCount: 2, valueAtRisk: 220, expectedShortfall: 260 });
  });

  it('names the malformed field', async () => {
    expect(await invalidField('var', { pnl: [1, 'x'], confidence: 0.9 })).toBe('pnl.1');
    expect(await invalidField('var', { pnl: [1], confidence: 1 })).toBe('confidence');
  });
});

describe('backtest', () => {
  it('runs the coverage tests on the example', async () => {
    const { code, stdout } = await capture(['backtest'], example('backtest'));
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output).toMatchObject({ observationCount: 12, exceptionCount: 3, trafficLight: { zone: 'yellow' } });
    expect(output.kupiec.pValue).toBeGreaterThan(0);
    expect(output.christoffersen.independence.transitionCounts.exceptionThenException).toBe(0);
  });

  it('names losses when the lengths differ', async () => {
    expect(await invalidField('backtest', { margins: [1, 2], losses: [1], confidence: 0.99 })).toBe('losses');
  });
});

describe('liquidation-price', () => {
  it('solves the linear isolated example (dYdX formula)', async () => {
    const { code, stdout } = await capture(['liquidation-price'], example('liquidation-price'));
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    // p' = (e - s p) / (|s| MMF - s) = (10000 - 100000) / (0.01 - 2)
    expect(Number(output.liquidationPrice.price)).toBeCloseTo(90000 / 1.99, 6);
    expect(output.bankruptcyPrice).toEqual({ kind: 'price', price: '45000' });
  });

  it('solves an inverse cross position', async () => {
    const { code, stdout } = await runJson('liquidation-price', {
      contract: 'inverse',
      quoteNotional: '-10000',
      account: { kind: 'cross', markPrice: '50000', accountEquity: '0.1', otherPositionsMaintenanceMargin: '0' },
      maintenanceMarginFraction: '0.005',
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).liquidationPrice.kind).toBe('price');
  });

  it('names the malformed field, money as decimal strings', async () => {
    const base = JSON.parse(example('liquidation-price'));
    expect(await invalidField('liquidation-price', { ...base, size: 2 })).toBe('size');
    expect(await invalidField('liquidation-price', { ...base, account: { ...base.account, entryPrice: '5e4' } })).toBe(
      'account.entryPrice',
    );
  });

  it('exits 3 on a precondition the engine refuses', async () => {
    const { code } = await runJson('liquidation-price', { ...JSON.parse(example('liquidation-price')), size: '0' });
    expect(code).toBe(3);
  });
});

describe('receipt-hash', () => {
  it('hashes the example to the golden digest of the receipt library', async () => {
    const { code, stdout } = await capture(['receipt-hash'], example('receipt-hash'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).inputsHash).toBe('4766add95f3e5443f3ef8a3c5409dae88ec7ecbae55e7384fc4c19a029a22009');
  });

  it('names a missing field', async () => {
    const { inputs } = JSON.parse(example('receipt-hash'));
    const { model: _omitted, ...withoutModel } = inputs;
    expect(await invalidField('receipt-hash', { inputs: withoutModel })).toBe('inputs.model');
  });
});

describe('margin and replay', () => {
  it('writes a receipt for one account that replay confirms, and exits 1 on a tampered receipt', async () => {
    const margin = await capture(['margin'], example('margin'));
    expect(margin.code).toBe(0);
    const receipt = JSON.parse(margin.stdout);
    expect(receipt.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(receipt.result.model).toBe('portfolio-scenario');
    const replay = await capture(['replay'], margin.stdout);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ match: true });
    const tampered = await runJson('replay', { ...receipt, result: { ...receipt.result, maintenanceMargin: '0' } });
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ match: false, field: 'result.maintenanceMargin' });
  });

  it('replays the committed example receipt', async () => {
    const { code, stdout } = await capture(['replay'], example('replay'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ match: true });
  });

  it('margins a batch with a summary and draws a progress bar on stderr when asked', async () => {
    const { code, stdout, stderr } = await capture(['margin', '--progress'], example('margin-batch'));
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.summary).toEqual({
      accounts: 3,
      healthy: 2,
      belowInitialMargin: 0,
      belowMaintenanceMargin: 1,
      refused: 0,
    });
    expect(stderr).toContain('100% 3/3');
  });

  it('names the malformed field of a margin request (exit 2) and the engine refusal (exit 3)', async () => {
    const request = JSON.parse(example('margin'));
    expect(
      await invalidField('margin', { ...request, positions: [{ instrumentId: 'BTC-USDC-PERP', quantity: 'ten' }] }),
    ).toBe('positions.0.quantity');
    const refused = await runJson('margin', { ...request, positions: [{ instrumentId: 'NOPE', quantity: '1' }] });
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stderr).error).toMatchObject({
      code: 'UNKNOWN_INSTRUMENT',
      field: 'positions.0.instrumentId',
    });
  });
});

describe('max-size', () => {
  it('sizes the example account: 7.1 to buy and 11.1 to sell, bound by IM', async () => {
    const { code, stdout } = await capture(['max-size'], example('max-size'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      buy: { quantity: '7.1', bindingConstraint: 'initial-margin' },
      sell: { quantity: '11.1', bindingConstraint: 'initial-margin' },
    });
  });

  it('refuses a zero lot size', async () => {
    expect(await invalidField('max-size', { ...JSON.parse(example('max-size')), quantityStep: '0' })).toBe(
      'quantityStep',
    );
  });
});

describe('stress', () => {
  it('reports member losses beyond margin and the cover-1 / cover-2 check', async () => {
    const { code, stdout } = await capture(['stress'], example('stress'));
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    const crash = output.scenarios[0];
    // firm-a: long 10 BTC perps at 52,000, -30% loses 156,000 against 60,000 margin: 96,000 uncovered.
    expect(crash.members[0]).toMatchObject({ memberId: 'firm-a', stressLoss: 156000, uncoveredLoss: 96000 });
    expect(output.availableResources).toBe(275000);
  });

  it('names an unknown field', async () => {
    expect(await invalidField('stress', { ...JSON.parse(example('stress')), extra: true })).toBe('extra');
  });
});
