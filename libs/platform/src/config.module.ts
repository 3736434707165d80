import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { NovationConfig } from '@novation/config';

/** Injection token of the validated NovationConfig. */
export const NOVATION_CONFIG = Symbol('NOVATION_CONFIG');

/**
 * Makes the configuration validated at start injectable everywhere. The app's main.ts validates the
 * environment (so a bad value stops the process before it listens) and passes the result here; tests
 * pass their own (their database, their queue prefix).
 */
@Global()
@Module({})
export class NovationConfigModule {
  static forRoot(config: NovationConfig): DynamicModule {
    return {
      module: NovationConfigModule,
      providers: [{ provide: NOVATION_CONFIG, useValue: config }],
      exports: [NOVATION_CONFIG],
    };
  }
}
