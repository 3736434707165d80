import { ApiProperty } from '@nestjs/swagger';
import { PARAMETER_SET_STATUSES } from '../dto/list-parameter-sets.input.js';

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
