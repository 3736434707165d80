import { ApiProperty } from '@nestjs/swagger';

export class FieldViolationModel {
  @ApiProperty({ example: 'expiresAt' })
  field!: string;

  @ApiProperty({ example: 'is required for futures and options' })
  message!: string;
}

/** The body of every refused reference-data, API-key and default-resource request. */
export class ReferenceDataErrorModel {
  @ApiProperty()
  statusCode!: number;

  @ApiProperty({ example: 'INSTRUMENT_NOT_FOUND' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiProperty({ type: [FieldViolationModel], required: false })
  violations?: FieldViolationModel[];
}
