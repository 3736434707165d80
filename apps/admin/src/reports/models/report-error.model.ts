import { ApiProperty } from '@nestjs/swagger';

export class ReportFieldViolationModel {
  @ApiProperty({ example: 'lookbackDays' })
  field!: string;

  @ApiProperty()
  message!: string;
}

export class ReportErrorModel {
  @ApiProperty()
  statusCode!: number;

  @ApiProperty({ example: 'INVALID_BUSINESS_DATE' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiProperty({ type: [ReportFieldViolationModel], required: false })
  violations?: ReportFieldViolationModel[];
}
