import { ApiProperty } from '@nestjs/swagger';

export class VersionDto {
  @ApiProperty({ example: 'admin', description: 'Service name.' })
  service!: string;

  @ApiProperty({ example: '0.1.0', description: 'Novation release (semantic version).' })
  version!: string;

  @ApiProperty({ enum: ['development', 'test', 'production'], description: 'Deployment environment.' })
  environment!: string;
}
