import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG } from '@novation/platform';
import { dataSourceOptions } from './data-source.js';

/**
 * The app's one TypeORM DataSource. With `runMigrationsAtStart` (the default) the app applies pending
 * migrations before it serves, inside one transaction per migration.
 */
@Module({})
export class PersistenceModule {
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [NOVATION_CONFIG],
          useFactory: (config: NovationConfig) => ({
            ...dataSourceOptions(config, applicationName),
            migrationsRun: config.database.runMigrationsAtStart,
            retryAttempts: 3,
            retryDelay: 1_000,
          }),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
