import { ApiProperty } from '@nestjs/swagger';
import { TRAFFIC_LIGHTS } from '../dto/list-backtests.input.js';

export class BacktestObservationModel {
  @ApiProperty({ example: '2026-11-20' })
  day!: string;

  @ApiProperty()
  receiptId!: string;

  @ApiProperty({ description: 'Initial margin held at the day end, decimal string in the margin asset.' })
  margin!: string;

  @ApiProperty({ description: 'Realised loss to the next day end, decimal string; a gain is negative.' })
  loss!: string;

  @ApiProperty()
  exception!: boolean;
}

export class BacktestReportModel {
  @ApiProperty()
  id!: string;

  @ApiProperty({ example: '2026-11-24' })
  businessDate!: string;

  @ApiProperty({ format: 'uuid' })
  accountId!: string;

  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty({ description: "Underlying, or '*' for the whole account." })
  product!: string;

  @ApiProperty()
  marginAsset!: string;

  @ApiProperty()
  lookbackDays!: number;

  @ApiProperty()
  confidence!: number;

  @ApiProperty()
  observationCount!: number;

  @ApiProperty()
  exceptionCount!: number;

  @ApiProperty()
  coverageRatio!: number;

  @ApiProperty()
  kupiecLikelihoodRatio!: number;

  @ApiProperty()
  kupiecPValue!: number;

  @ApiProperty({ type: Number, nullable: true })
  christoffersenIndependenceLikelihoodRatio!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  christoffersenIndependencePValue!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  christoffersenConditionalCoverageLikelihoodRatio!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  christoffersenConditionalCoveragePValue!: number | null;

  @ApiProperty({ enum: TRAFFIC_LIGHTS })
  trafficLight!: string;

  @ApiProperty()
  trafficLightCumulativeProbability!: number;

  @ApiProperty()
  inputsHash!: string;

  @ApiProperty()
  runBy!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  replacedAt!: string | null;
}

export class BacktestReportDetailModel extends BacktestReportModel {
  @ApiProperty({ type: [BacktestObservationModel] })
  observations!: BacktestObservationModel[];
}

export class BacktestReportPageModel {
  @ApiProperty({ type: [BacktestReportModel] })
  items!: BacktestReportModel[];

  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

export class BacktestRunRowModel {
  @ApiProperty()
  id!: string;

  @ApiProperty({ format: 'uuid' })
  accountId!: string;

  @ApiProperty()
  product!: string;

  @ApiProperty({ enum: ['created', 'unchanged', 'conflict', 'replaced'] })
  outcome!: string;

  @ApiProperty()
  inputsHash!: string;

  @ApiProperty({ required: false, description: 'The stored hash before (conflict: kept; replaced: overwritten).' })
  previousInputsHash?: string;
}

export class BacktestRunModel {
  @ApiProperty()
  businessDate!: string;

  @ApiProperty()
  lookbackDays!: number;

  @ApiProperty()
  confidence!: number;

  @ApiProperty()
  created!: number;

  @ApiProperty()
  unchanged!: number;

  @ApiProperty({ description: 'Stored reports whose inputs changed and were kept (re-run with replace to update).' })
  conflicts!: number;

  @ApiProperty()
  replaced!: number;

  @ApiProperty({ type: [BacktestRunRowModel] })
  reports!: BacktestRunRowModel[];
}
