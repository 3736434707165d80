import { Query, Resolver } from '@nestjs/graphql';
import { ServiceHealth } from './models/service-health.model.js';
import { VersionInfo } from './models/version-info.model.js';
import { SystemService } from './system.service.js';

@Resolver()
export class SystemResolver {
  constructor(private readonly system: SystemService) {}

  @Query(() => VersionInfo, { description: 'The service, release and environment answering this request.' })
  version(): VersionInfo {
    return this.system.version();
  }

  @Query(() => ServiceHealth, { description: 'Readiness of the API: PostgreSQL and Redis probed now.' })
  health(): Promise<ServiceHealth> {
    return this.system.health();
  }
}
