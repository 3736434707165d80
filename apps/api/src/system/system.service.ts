import { Inject, Injectable } from '@nestjs/common';
import { NOVATION_VERSION, type NovationConfig } from '@novation/config';
import { NOVATION_CONFIG, ReadinessService } from '@novation/platform';
import { DependencyStatus, type ServiceHealth } from './models/service-health.model.js';
import type { VersionInfo } from './models/version-info.model.js';

@Injectable()
export class SystemService {
  constructor(
    @Inject(NOVATION_CONFIG) private readonly config: NovationConfig,
    private readonly readiness: ReadinessService,
  ) {}

  version(): VersionInfo {
    return { service: 'api', version: NOVATION_VERSION, environment: this.config.environmentName };
  }

  async health(): Promise<ServiceHealth> {
    // Terminus reports a failed check by throwing with the details; both outcomes carry per-dependency status.
    const details = await this.readiness.check().then(
      (result) => result.details,
      (error: unknown) =>
        (error as { response?: { details?: Record<string, { status: string }> } }).response?.details ?? {},
    );
    const database = statusOf(details['database']);
    const redis = statusOf(details['redis']);
    const status =
      database === DependencyStatus.UP && redis === DependencyStatus.UP ? DependencyStatus.UP : DependencyStatus.DOWN;
    return { status, database, redis };
  }
}

function statusOf(detail: { status: string } | undefined): DependencyStatus {
  return detail?.status === 'up' ? DependencyStatus.UP : DependencyStatus.DOWN;
}
