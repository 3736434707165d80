import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/**
 * One posting of the account, with what the member may see of its journal entry: the entry's other legs
 * (other accounts, house accounts included) are never shown, and ids of accounts outside the caller's
 * firm are redacted from the description.
 */
@ObjectType({ description: 'One ledger posting of the account: a credit (positive) or debit (negative) of one asset.' })
export class StatementLine {
  @Field(() => ID, { description: 'Posting id: increases in ledger order.' })
  postingId!: string;

  @Field(() => ID, { description: 'The journal entry this posting belongs to.' })
  journalEntryId!: string;

  @Field(() => String, {
    description:
      'What made the entry: deposit, withdrawal, collateral_transfer, trade, funding, variation_margin, ' +
      'expiry_settlement, liquidation, deficit_cover, ...',
  })
  kind!: string;

  @Field(() => String, {
    description:
      "The entry's description, with the id of any account outside the caller's firm replaced by <redacted>.",
  })
  description!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The idempotency key the caller's firm sent with the withdrawal or transfer that made this entry; " +
      'null for entries made by others (deposits, trades, settlement, liquidation).',
  })
  idempotencyKey!: string | null;

  @Field(() => String, { description: 'Asset of the amount, such as USDC.' })
  asset!: string;

  @Field(() => DecimalScalar, { description: 'Signed amount: positive credits the account, negative debits it.' })
  amount!: Decimal;

  @Field(() => DecimalScalar, {
    description: "The account's balance of this asset just after this posting, in ledger order.",
  })
  balanceAfter!: Decimal;

  @Field(() => DateTimeScalar, { description: 'When the journal entry was committed (its transaction time).' })
  createdAt!: Date;
}

export const StatementLineConnection = Connection(StatementLine, 'StatementLine');
