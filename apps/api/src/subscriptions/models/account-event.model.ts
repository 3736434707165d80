import { Field, ID, Int, InterfaceType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { AccountMarginStateValue } from '../../accounts/models/account.model.js';
import { MarginCallStatusValue } from '../../accounts/models/margin-call.model.js';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

/** The stored kinds (`account_event.kind`), exposed under GraphQL enum names. */
export enum AccountEventKindValue {
  MARGIN_STATE_CHANGED = 'margin-state-changed',
  MARGIN_CALL_OPENED = 'margin-call-opened',
  MARGIN_CALL_RESOLVED = 'margin-call-resolved',
  LIQUIDATION_STARTED = 'liquidation-started',
  LIQUIDATION_STEP = 'liquidation-step',
  LIQUIDATION_COMPLETED = 'liquidation-completed',
}
registerEnumType(AccountEventKindValue, {
  name: 'AccountEventKind',
  description: 'What happened to an account. Each kind has its own type implementing AccountEvent.',
});

@ObjectType({ description: 'One entry of an event as recorded: a name and its value as text.' })
export class AccountEventDetail {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Strings as they are; anything else as JSON text.' })
  value!: string | null;
}

/**
 * The typed GraphQL class of each kind; filled in below (the classes are declared after the interface, and
 * resolveType runs only at execution).
 */
const CLASS_OF_KIND = new Map<AccountEventKindValue, new () => AccountEvent>();

@InterfaceType('AccountEvent', {
  description:
    "Something that happened to one of the caller's accounts: margin state changes, margin calls and " +
    'liquidation steps. Pass the `cursor` of the last event you received as `after` of the `accountEvents` ' +
    'query to catch up on what a reconnect missed: nothing is ever skipped, and resuming from a pushed event ' +
    'may repeat a few events already received (same ids), so keep the ids you have seen.',
  resolveType: (event: AccountEvent) => CLASS_OF_KIND.get(event.kind),
})
export class AccountEvent {
  @Field(() => ID, {
    description: 'Event id: unique, increasing as events are recorded (not necessarily in commit order).',
  })
  id!: string;

  @Field(() => String, {
    description:
      'Opaque cursor: pass it as `after` of the `accountEvents` query to read what follows (for a pushed event, ' +
      'what follows may include events already received).',
  })
  cursor!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => AccountEventKindValue)
  kind!: AccountEventKindValue;

  @Field(() => DateTimeScalar, { description: 'When the change was recorded (the start of its transaction).' })
  occurredAt!: Date;

  @Field(() => [AccountEventDetail], {
    description: 'Every recorded entry of the event, typed fields included: for kinds whose fields may grow.',
  })
  details!: AccountEventDetail[];
}

@ObjectType({
  implements: () => [AccountEvent],
  description: 'A margin run moved the account between healthy, margin_call and liquidating.',
})
export class MarginStateChangedEvent extends AccountEvent {
  @Field(() => AccountMarginStateValue)
  fromState!: `${AccountMarginStateValue}`;

  @Field(() => AccountMarginStateValue)
  toState!: `${AccountMarginStateValue}`;

  @Field(() => String, { description: 'The asset the margin figures are in, such as USDC.' })
  marginAsset!: string;

  @Field(() => DecimalScalar)
  equity!: string;

  @Field(() => DecimalScalar)
  initialMargin!: string;

  @Field(() => DecimalScalar)
  maintenanceMargin!: string;

  @Field(() => ID, { description: 'The margin receipt of the run (replayable with novation-risk).' })
  receiptId!: string;
}

@ObjectType({
  implements: () => [AccountEvent],
  description: 'The account fell below initial margin: top up `shortfall` before `deadlineAt`.',
})
export class MarginCallOpenedEvent extends AccountEvent {
  @Field(() => ID)
  marginCallId!: string;

  @Field(() => DecimalScalar, { description: 'IM minus equity for IM when the call was made.' })
  shortfall!: string;

  @Field(() => String)
  asset!: string;

  @Field(() => DateTimeScalar)
  deadlineAt!: Date;

  @Field(() => ID)
  receiptId!: string;
}

@ObjectType({ implements: () => [AccountEvent], description: 'A margin call left open.' })
export class MarginCallResolvedEvent extends AccountEvent {
  @Field(() => ID)
  marginCallId!: string;

  @Field(() => MarginCallStatusValue)
  status!: `${MarginCallStatusValue}`;

  @Field(() => DateTimeScalar, { nullable: true })
  resolvedAt!: Date | null;
}

@ObjectType({ implements: () => [AccountEvent], description: 'A liquidation of the account began.' })
export class LiquidationStartedEvent extends AccountEvent {
  @Field(() => ID, { nullable: true })
  liquidationId!: string | null;

  // Not `marginCallId`: a selection on several event types must not meet one name with two nullabilities.
  @Field(() => ID, { nullable: true, description: 'The margin call whose deadline passed, if one did.' })
  expiredMarginCallId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The margin receipt that found the account below MM.' })
  triggerReceiptId!: string | null;
}

@ObjectType({
  implements: () => [AccountEvent],
  description: 'One slice of a liquidation was executed; the positions it closed are in `details` (closes).',
})
export class LiquidationStepEvent extends AccountEvent {
  @Field(() => ID, { nullable: true })
  liquidationId!: string | null;

  @Field(() => Int, { description: 'The step number within its liquidation, from 1.' })
  stepNumber!: number;

  @Field(() => ID, { description: 'The margin receipt the step planned its slice from.' })
  receiptId!: string;

  @Field(() => DecimalScalar, { description: 'Liquidation penalty paid to the insurance fund, settlement asset.' })
  penalty!: string;
}

@ObjectType({
  implements: () => [AccountEvent],
  description: 'A liquidation ended: how many steps, the deficit, and what no resource covered.',
})
export class LiquidationCompletedEvent extends AccountEvent {
  @Field(() => ID, { nullable: true })
  liquidationId!: string | null;

  @Field(() => Int, { description: 'Steps the liquidation took.' })
  steps!: number;

  @Field(() => DecimalScalar, { description: 'Negative equity left once no position remained (0 when none).' })
  deficit!: string;

  @Field(() => DecimalScalar, {
    description: 'Part of the deficit no resource covered (insurance fund, ADL or waterfall): 0 normally.',
  })
  uncovered!: string;

  @Field(() => AccountMarginStateValue, { description: 'The margin state the account ended in.' })
  marginState!: `${AccountMarginStateValue}`;
}

CLASS_OF_KIND.set(AccountEventKindValue.MARGIN_STATE_CHANGED, MarginStateChangedEvent);
CLASS_OF_KIND.set(AccountEventKindValue.MARGIN_CALL_OPENED, MarginCallOpenedEvent);
CLASS_OF_KIND.set(AccountEventKindValue.MARGIN_CALL_RESOLVED, MarginCallResolvedEvent);
CLASS_OF_KIND.set(AccountEventKindValue.LIQUIDATION_STARTED, LiquidationStartedEvent);
CLASS_OF_KIND.set(AccountEventKindValue.LIQUIDATION_STEP, LiquidationStepEvent);
CLASS_OF_KIND.set(AccountEventKindValue.LIQUIDATION_COMPLETED, LiquidationCompletedEvent);

export const AccountEventConnection = Connection(AccountEvent, 'AccountEvent');

/** Every concrete event type. */
export type AnyAccountEvent =
  | MarginStateChangedEvent
  | MarginCallOpenedEvent
  | MarginCallResolvedEvent
  | LiquidationStartedEvent
  | LiquidationStepEvent
  | LiquidationCompletedEvent;
