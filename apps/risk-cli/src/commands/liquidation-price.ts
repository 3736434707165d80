import { z } from 'zod';
import { parseDecimal } from '@novation/money';
import {
  inverseBankruptcyPrice,
  inverseLiquidationPrice,
  linearBankruptcyPrice,
  linearLiquidationPrice,
  type LiquidationPrice,
  type MaintenancePriceBasis,
  type MarginMode,
} from '@novation/risk';
import { defineCommand } from '../command.js';
import { decimalString } from '../schemas.js';

const account = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('isolated'), entryPrice: decimalString, isolatedMargin: decimalString }),
  z.strictObject({
    kind: z.literal('cross'),
    markPrice: decimalString,
    accountEquity: decimalString,
    otherPositionsMaintenanceMargin: decimalString,
  }),
]);

const maintenancePriceBasis = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('liquidationPrice') }),
  z.strictObject({ kind: z.literal('fixedPrice'), price: decimalString }),
]);

const shared = {
  account,
  maintenanceMarginFraction: decimalString,
  maintenanceAmount: decimalString.default('0'),
  maintenancePriceBasis: maintenancePriceBasis.default({ kind: 'liquidationPrice' }),
};

export const liquidationPriceSchema = z.discriminatedUnion('contract', [
  /** Linear: size is the signed quantity of the underlying (positive long); amounts in quote. */
  z.strictObject({ contract: z.literal('linear'), size: decimalString, ...shared }),
  /** Inverse: quoteNotional is contracts x contract value (positive long); equity and margin in coin. */
  z.strictObject({ contract: z.literal('inverse'), quoteNotional: decimalString, ...shared }),
]);

type AccountInput = z.output<typeof account>;
type BasisInput = z.output<typeof maintenancePriceBasis>;

function toMarginMode(input: AccountInput): MarginMode {
  switch (input.kind) {
    case 'isolated':
      return {
        kind: 'isolated',
        entryPrice: parseDecimal(input.entryPrice),
        isolatedMargin: parseDecimal(input.isolatedMargin),
      };
    case 'cross':
      return {
        kind: 'cross',
        markPrice: parseDecimal(input.markPrice),
        accountEquity: parseDecimal(input.accountEquity),
        otherPositionsMaintenanceMargin: parseDecimal(input.otherPositionsMaintenanceMargin),
      };
  }
}

function toBasis(input: BasisInput): MaintenancePriceBasis {
  switch (input.kind) {
    case 'liquidationPrice':
      return { kind: 'liquidationPrice' };
    case 'fixedPrice':
      return { kind: 'fixedPrice', price: parseDecimal(input.price) };
  }
}

/** Prices as exact decimal strings, never JS numbers, so the output can be compared digit for digit. */
function describePrice(price: LiquidationPrice): {
  readonly kind: string;
  readonly price?: string;
  readonly reason?: string;
} {
  return price.kind === 'price' ? { kind: 'price', price: price.price.toFixed() } : price;
}

/**
 * `liquidation-price`: the price at which equity meets maintenance margin, and the bankruptcy price at
 * which it reaches zero, for a linear or inverse position in isolated or cross margin (standard/ exports).
 */
export const liquidationPriceCommand = defineCommand({
  name: 'liquidation-price',
  summary: 'liquidation and bankruptcy price (linear/inverse, isolated/cross)',
  schema: liquidationPriceSchema,
  run: (input) => {
    const common = {
      account: toMarginMode(input.account),
      maintenanceMarginFraction: parseDecimal(input.maintenanceMarginFraction),
      maintenanceAmount: parseDecimal(input.maintenanceAmount),
      maintenancePriceBasis: toBasis(input.maintenancePriceBasis),
    };
    if (input.contract === 'linear') {
      const size = parseDecimal(input.size);
      return {
        contract: input.contract,
        liquidationPrice: describePrice(linearLiquidationPrice({ ...common, size })),
        bankruptcyPrice: describePrice(linearBankruptcyPrice({ size, account: common.account })),
      };
    }
    const quoteNotional = parseDecimal(input.quoteNotional);
    return {
      contract: input.contract,
      liquidationPrice: describePrice(inverseLiquidationPrice({ ...common, quoteNotional })),
      bankruptcyPrice: describePrice(inverseBankruptcyPrice({ quoteNotional, account: common.account })),
    };
  },
});
