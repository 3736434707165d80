import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NOVATION_VERSION, type NovationConfig } from '@novation/config';
import { NOVATION_CONFIG } from '@novation/platform';
import { VersionDto } from './version.dto.js';

@ApiTags('system')
@Controller('v1/version')
export class SystemController {
  constructor(@Inject(NOVATION_CONFIG) private readonly config: NovationConfig) {}

  @Get()
  @ApiOperation({ summary: 'The service, release and environment answering this request.' })
  @ApiOkResponse({ type: VersionDto })
  version(): VersionDto {
    return { service: 'admin', version: NOVATION_VERSION, environment: this.config.environmentName };
  }
}
