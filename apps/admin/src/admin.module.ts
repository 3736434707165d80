import { Module, type DynamicModule } from '@nestjs/common';
import type { NovationConfig } from '@novation/config';
import { PersistenceModule } from '@novation/persistence';
import { NovationConfigModule, OperationsModule, RedisModule, loggingModule } from '@novation/platform';
import { AuthModule } from './auth/auth.module.js';
import { ParametersModule } from './parameters/parameters.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { DefaultResourcesModule } from './default-resources/default-resources.module.js';
import { ReferenceModule } from './reference/reference.module.js';
import { QueuesModule } from './queues/queues.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { SystemController } from './system/system.controller.js';

export const ADMIN_SERVICE_NAME = 'admin';

@Module({})
export class AdminModule {
  static register(config: NovationConfig): DynamicModule {
    return {
      module: AdminModule,
      imports: [
        NovationConfigModule.forRoot(config),
        loggingModule(config, ADMIN_SERVICE_NAME),
        RedisModule,
        PersistenceModule.forRoot(ADMIN_SERVICE_NAME),
        OperationsModule,
        AuthModule,
        ParametersModule,
        ReferenceModule,
        ApiKeysModule,
        DefaultResourcesModule,
        QueuesModule,
        ReportsModule,
      ],
      controllers: [SystemController],
    };
  }
}
