import { ApiProperty } from '@nestjs/swagger';

export class StressMemberModel {
  @ApiProperty({ format: 'uuid' })
  memberFirmId!: string;

  @ApiProperty({ description: 'Sum of its accounts stress losses, reporting asset.' })
  stressLoss!: string;

  @ApiProperty()
  marginHeld!: string;

  @ApiProperty({ description: 'Losses beyond each account margin, summed (accounts not netted).' })
  uncoveredLoss!: string;
}

export class StressScenarioModel {
  @ApiProperty()
  scenarioName!: string;

  @ApiProperty()
  coverOneLoss!: string;

  @ApiProperty()
  coverTwoLoss!: string;

  @ApiProperty({ type: [String] })
  coverTwoMemberFirmIds!: string[];

  @ApiProperty()
  coverOnePassed!: boolean;

  @ApiProperty()
  coverTwoPassed!: boolean;
}

export class DefaultResourcesModel {
  @ApiProperty()
  defaultFund!: string;

  @ApiProperty()
  insuranceFund!: string;

  @ApiProperty()
  ccpCapital!: string;

  @ApiProperty()
  total!: string;
}

export class StressReportModel {
  @ApiProperty({ type: String, format: 'date-time' })
  valuedAt!: string;

  @ApiProperty()
  reportingAsset!: string;

  @ApiProperty()
  parameterSetVersion!: string;

  @ApiProperty({ type: DefaultResourcesModel })
  defaultResources!: DefaultResourcesModel;

  @ApiProperty()
  accountCount!: number;

  @ApiProperty({ type: [StressScenarioModel] })
  scenarios!: StressScenarioModel[];

  @ApiProperty()
  worstScenarioName!: string;

  @ApiProperty({ description: 'The two largest member losses beyond margin, worst scenario.' })
  coverTwoLoss!: string;

  @ApiProperty({ description: 'coverTwoLoss <= defaultResources.total.' })
  coverTwoPassed!: boolean;

  @ApiProperty({ type: [StressMemberModel], description: 'Members under the worst scenario (one page).' })
  members!: StressMemberModel[];

  @ApiProperty()
  memberTotal!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}
