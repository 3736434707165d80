import { ApiProperty } from '@nestjs/swagger';
import { PARAMETER_SET_STATUSES } from '../dto/list-parameter-sets.input.js';

/** A set scheduled with a linear phase-in (libs/persistence/src/margin/parameter-phase-in.ts). */
export class ParameterSetPhaseInModel {
  @ApiProperty({ description: 'The set phased from (in force just before effectiveFrom when scheduled).' })
  fromVersion!: string;

  @ApiProperty({ minimum: 1, maximum: 90 })
  periodDays!: number;

  @ApiProperty({ type: String, format: 'date-time', description: 'effectiveFrom + period: the set applies fully.' })
  endsAt!: string;

  @ApiProperty({
    example: '0.5',
    description: 'Weight of the new values now, in hourly steps: 0 before effectiveFrom, 1 from endsAt.',
  })
  weight!: string;

  @ApiProperty({
    example: '2026-12-a@phase-0.5',
    description: 'Version receipts record while this set is in force now (with the weight during the phase-in).',
  })
  versionNow!: string;
}

export class ParameterSetModel {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  version!: string;

  @ApiProperty({ enum: PARAMETER_SET_STATUSES })
  status!: string;

  @ApiProperty({ description: 'True when this is the set activeParameterSet returns now.' })
  inEffect!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  effectiveFrom!: string | null;

  @ApiProperty({ type: ParameterSetPhaseInModel, nullable: true })
  phaseIn!: ParameterSetPhaseInModel | null;

  @ApiProperty({ type: String, nullable: true })
  proposedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  approvedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  body!: unknown;
}

export class ParameterSetPageModel {
  @ApiProperty({ type: [ParameterSetModel] })
  items!: ParameterSetModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

export class FieldViolationModel {
  @ApiProperty({ example: 'parameters.historicalEs.confidence' })
  field!: string;

  @ApiProperty({ example: 'must be >= 0.99' })
  message!: string;
}

export class ParameterSetErrorModel {
  @ApiProperty()
  statusCode!: number;

  @ApiProperty({ example: 'INVALID_PARAMETER_SET' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiProperty({ type: [FieldViolationModel], required: false })
  violations?: FieldViolationModel[];
}
