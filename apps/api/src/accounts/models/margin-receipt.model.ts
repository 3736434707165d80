import { Field, ID, ObjectType } from '@nestjs/graphql';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';

@ObjectType({ description: 'A stored margin receipt, exported for `novation-risk replay`.' })
export class MarginReceiptDocument {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'SHA-256 of the inputs, as hashed by the engine.' })
  inputsHash!: string;

  @Field(() => String)
  resultHash!: string;

  @Field(() => String)
  engineVersion!: string;

  @Field(() => DateTimeScalar)
  computedAt!: Date;

  @Field(() => String, { description: 'The receipt as JSON text: save it to a file and replay it offline.' })
  document!: string;
}
