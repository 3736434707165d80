import fc from 'fast-check';
import { Decimal } from '@novation/money';
import {
  ENGINE_VERSION,
  createMarginReceipt,
  receiptHash,
  verifyMarginReceipt,
  type MarginReceiptInputs,
} from './margin-receipt.js';

const goldenInputs: MarginReceiptInputs = {
  engineVersion: '1.0.0',
  model: 'standard-option-margin',
  parameterSetVersion: '2026-01',
  parameters: { maintenanceMarginFraction: new Decimal('0.05') },
  positions: [{ instrument: 'BTC-PERP', size: new Decimal('1.5') }],
  collateral: { USDC: '1000' },
  marketSnapshot: { BTC: 50000 },
};

/** A toy margin model: 10% of the summed position sizes. */
function toyMargin(inputs: MarginReceiptInputs): { readonly initialMargin: string } {
  const positions = inputs.positions as readonly { readonly size: Decimal }[];
  const total = positions.reduce((sum, position) => sum.add(position.size), new Decimal(0));
  return { initialMargin: total.mul('0.1').toFixed() };
}

const inputsArbitrary: fc.Arbitrary<MarginReceiptInputs> = fc.record({
  engineVersion: fc.constant(ENGINE_VERSION),
  model: fc.string(),
  parameterSetVersion: fc.string(),
  parameters: fc.jsonValue(),
  positions: fc.array(fc.jsonValue(), { maxLength: 4 }),
  collateral: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
  marketSnapshot: fc.dictionary(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 4 }),
});

describe('receiptHash', () => {
  it('matches the golden digest of a fixed input', () => {
    // Computed once with: printf '%s' '<canonical JSON below>' | sha256sum
    // {"collateral":{"USDC":"1000"},"engineVersion":"1.0.0","marketSnapshot":{"BTC":50000},
    //  "model":"standard-option-margin","parameterSetVersion":"2026-01",
    //  "parameters":{"maintenanceMarginFraction":"0.05"},"positions":[{"instrument":"BTC-PERP","size":"1.5"}]}
    expect(receiptHash(goldenInputs)).toBe('4766add95f3e5443f3ef8a3c5409dae88ec7ecbae55e7384fc4c19a029a22009');
  });

  it('does not depend on the order the fields were given in', () => {
    fc.assert(
      fc.property(inputsArbitrary, (inputs) => {
        const reordered = Object.fromEntries(Object.entries(inputs).reverse()) as unknown as MarginReceiptInputs;
        return receiptHash(reordered) === receiptHash(inputs);
      }),
    );
  });

  it('changes when any value changes', () => {
    const fields = ['model', 'parameterSetVersion', 'parameters', 'positions', 'collateral', 'marketSnapshot'] as const;
    fc.assert(
      fc.property(inputsArbitrary, fc.constantFrom(...fields), fc.string(), (inputs, field, marker) => {
        const changed = { ...inputs, [field]: { changed: marker, previous: inputs[field] } };
        return receiptHash(changed) !== receiptHash(inputs);
      }),
    );
  });

  it('changes when a nested money amount changes by one unit in the last place', () => {
    const changed = { ...goldenInputs, parameters: { maintenanceMarginFraction: new Decimal('0.050000001') } };
    expect(receiptHash(changed)).not.toBe(receiptHash(goldenInputs));
  });
});

describe('margin receipts', () => {
  it('verifies a receipt replayed with the same model', () => {
    const receipt = createMarginReceipt(goldenInputs, toyMargin(goldenInputs));
    expect(receipt.inputsHash).toBe(receiptHash(goldenInputs));
    expect(receipt.result).toEqual({ initialMargin: '0.15' });
    expect(verifyMarginReceipt(receipt, toyMargin)).toEqual({ match: true });
  });

  it('names the first differing result field', () => {
    const receipt = createMarginReceipt(goldenInputs, { initialMargin: '0.16' });
    expect(verifyMarginReceipt(receipt, toyMargin)).toEqual({
      match: false,
      field: 'result.initialMargin',
      expected: '"0.16"',
      actual: '"0.15"',
    });
  });

  it('reports tampered inputs as an inputsHash difference', () => {
    const receipt = createMarginReceipt(goldenInputs, toyMargin(goldenInputs));
    const tampered = { ...receipt, collateral: { USDC: '2000' } };
    expect(verifyMarginReceipt(tampered, toyMargin)).toMatchObject({ match: false, field: 'inputsHash' });
  });
});
