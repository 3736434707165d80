import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

export enum InstrumentKindValue {
  SPOT = 'spot',
  PERPETUAL = 'perpetual',
  FUTURE = 'future',
  OPTION = 'option',
}
registerEnumType(InstrumentKindValue, {
  name: 'InstrumentKind',
  description: 'What the instrument is.',
  valuesMap: {
    SPOT: { description: 'Spot: delivered at once.' },
    PERPETUAL: { description: 'Perpetual future: no expiry, periodic funding.' },
    FUTURE: { description: 'Dated future: settles at expiry.' },
    OPTION: { description: 'European option: exercised at expiry only.' },
  },
});

export enum SettlementTypeValue {
  LINEAR = 'linear',
  INVERSE = 'inverse',
}
registerEnumType(SettlementTypeValue, {
  name: 'SettlementType',
  description: 'How profit and loss are paid.',
  valuesMap: {
    LINEAR: { description: 'In the quote asset: PnL = quantity x contract size x price change.' },
    INVERSE: { description: 'In the base asset (coin-margined): contract size is in quote units.' },
  },
});

export enum OptionTypeValue {
  CALL = 'call',
  PUT = 'put',
}
registerEnumType(OptionTypeValue, {
  name: 'OptionType',
  description: 'Call or put.',
  valuesMap: {
    CALL: { description: 'The right to buy at the strike.' },
    PUT: { description: 'The right to sell at the strike.' },
  },
});

export enum InstrumentStatusValue {
  ACTIVE = 'active',
  EXPIRED = 'expired',
  DELISTED = 'delisted',
}
registerEnumType(InstrumentStatusValue, {
  name: 'InstrumentStatus',
  description: 'Whether the instrument trades.',
  valuesMap: {
    ACTIVE: { description: 'Trades and takes marks.' },
    EXPIRED: { description: 'Past its expiry and settled.' },
    DELISTED: { description: 'Withdrawn from trading.' },
  },
});

@ObjectType({ description: 'A cleared instrument: public reference data, the same for every caller.' })
export class Instrument {
  @Field(() => ID, { description: 'Instrument id, as in positions, trades and margin receipts.' })
  id!: string;

  @Field(() => String, { description: 'Unique symbol, such as BTC-PERP or BTC-27DEC26-100000-C.' })
  symbol!: string;

  @Field(() => InstrumentKindValue, { description: 'What the instrument is.' })
  kind!: `${InstrumentKindValue}`;

  @Field(() => SettlementTypeValue, { description: 'Linear (quote-settled) or inverse (coin-settled).' })
  settlementType!: `${SettlementTypeValue}`;

  @Field(() => String, { description: 'The underlying index, such as BTC-USD.' })
  underlying!: string;

  @Field(() => String, { description: 'Asset prices are quoted in, such as USDC.' })
  quoteAsset!: string;

  @Field(() => String, { description: 'Asset PnL, fees and premiums are paid in.' })
  settlementAsset!: string;

  @Field(() => DecimalScalar, { description: 'Units of the underlying (or of quote for inverse) per contract.' })
  contractSize!: Decimal;

  @Field(() => DecimalScalar, { description: 'Lot size: trade quantities are multiples of it.' })
  quantityStep!: Decimal;

  @Field(() => DecimalScalar, { nullable: true, description: 'Price increment; null when prices are not ticked.' })
  priceTick!: Decimal | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Expiry of futures and options; null for perpetuals.' })
  expiresAt!: Date | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Options only: the strike price.' })
  strike!: Decimal | null;

  @Field(() => OptionTypeValue, { nullable: true, description: 'Options only: call or put.' })
  optionType!: `${OptionTypeValue}` | null;

  @Field(() => String, {
    nullable: true,
    description: 'Options only: written on the spot index ("spot") or the future of the same expiry ("future").',
  })
  underlyingReference!: string | null;

  @Field(() => InstrumentStatusValue, { description: 'Whether the instrument trades.' })
  status!: `${InstrumentStatusValue}`;
}

export const InstrumentConnection = Connection(Instrument, 'Instrument');
