import { canonicalJson } from '../receipt/canonical-json.js';
import { computeMargin, parseMarginRequest } from './compute-margin.js';
import { computeMarginBatch, parseMarginBatch } from './margin-batch.js';
import { MarginError } from './margin-error.js';
import { computeMarginReceipt, replayMarginReceipt } from './margin-receipts.js';
import { portfolioScenarioRequest, standardPerpetualRequest } from './margin-request-fixtures.js';

describe('margin receipts', () => {
  it('replays a receipt to the identical result, after a JSON round trip (as stored or downloaded)', () => {
    for (const request of [standardPerpetualRequest(), portfolioScenarioRequest()]) {
      const receipt = computeMarginReceipt(parseMarginRequest(request));
      const stored: unknown = JSON.parse(JSON.stringify(receipt));
      expect(replayMarginReceipt(stored)).toEqual({ match: true });
      expect(receipt.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('hashes the same inputs to the same digest whatever the key order', () => {
    const request = parseMarginRequest(standardPerpetualRequest());
    const reordered = parseMarginRequest(JSON.parse(canonicalJson(request)));
    expect(computeMarginReceipt(reordered).inputsHash).toBe(computeMarginReceipt(request).inputsHash);
  });

  it('names the first differing field of a tampered result, and a tampered input by its hash', () => {
    const receipt = computeMarginReceipt(parseMarginRequest(standardPerpetualRequest()));
    const tamperedResult = { ...receipt, result: { ...receipt.result, initialMargin: '1' } };
    expect(replayMarginReceipt(tamperedResult)).toEqual({
      match: false,
      field: 'result.initialMargin',
      expected: '"1"',
      actual: '"10400"',
    });
    const tamperedInput = { ...receipt, parameterSetVersion: 'test-2' };
    expect(replayMarginReceipt(tamperedInput)).toMatchObject({ match: false, field: 'inputsHash' });
  });

  it('refuses a document that is not a receipt', () => {
    expect(() => replayMarginReceipt({ inputsHash: 'x' })).toThrow(MarginError);
  });
});

describe('computeMarginBatch', () => {
  it('gives every account the same result as computing it alone, and reports refusals per account', () => {
    const single = parseMarginRequest(portfolioScenarioRequest());
    const { positions, collateral, ...common } = single;
    const batch = parseMarginBatch({
      ...common,
      accounts: [
        { accountId: 'a-1', positions, collateral },
        { accountId: 'a-2', positions: [{ instrumentId: 'NOPE', quantity: '1' }], collateral },
        { accountId: 'a-3', positions: positions.slice(1), collateral },
      ],
    });
    const progress: number[] = [];
    const outcomes = computeMarginBatch(batch, (done) => progress.push(done));
    expect(progress).toEqual([1, 2, 3]);
    expect(outcomes[0]).toEqual({ accountId: 'a-1', result: computeMargin(single) });
    expect(outcomes[1]).toMatchObject({ accountId: 'a-2', error: { code: 'UNKNOWN_INSTRUMENT' } });
    expect(outcomes[2]).toEqual({
      accountId: 'a-3',
      result: computeMargin({ ...single, positions: positions.slice(1) }),
    });
  });
});
