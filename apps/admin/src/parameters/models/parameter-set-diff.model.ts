import { ApiProperty } from '@nestjs/swagger';

export class ParameterChangeModel {
  @ApiProperty({ example: 'parameters.assets.BTC.initialHaircut' })
  path!: string;

  @ApiProperty({ enum: ['added', 'removed', 'changed'] })
  kind!: string;

  @ApiProperty({ description: 'Value in the set in effect (null when added).', nullable: true })
  oldValue!: unknown;

  @ApiProperty({ description: 'Value in this set (null when removed).', nullable: true })
  newValue!: unknown;
}

export class ParameterSetDiffModel {
  @ApiProperty()
  version!: string;

  @ApiProperty({ description: 'Version in effect now, the base of the comparison.' })
  activeVersion!: string;

  @ApiProperty({ type: [ParameterChangeModel] })
  changes!: ParameterChangeModel[];

  @ApiProperty({ description: 'True when more changes exist than were listed.' })
  truncated!: boolean;
}
