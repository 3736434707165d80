import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, getConfig, type NovationConfig } from '@novation/config';
import { Logger } from 'nestjs-pino';
import { METRICS_REGISTRY, instrumentHttpRequests } from './metrics.js';
import { closeOnSignals } from './shutdown.js';

/** Largest HTTP request body any service accepts; GraphQL and REST payloads are far smaller. */
export const REQUEST_BODY_BYTES_MAX = 1_048_576;

/**
 * Validates the environment once at start; on a bad value prints which variable is wrong and exits
 * before anything connects or listens.
 */
export function loadConfigOrExit(): NovationConfig {
  try {
    return getConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** A Nest application on Fastify with pino as its logger; every HTTP service of Novation starts here. */
export async function createFastifyApp(module: DynamicModule): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit: REQUEST_BODY_BYTES_MAX, trustProxy: false }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  instrumentHttpRequests(app.getHttpAdapter().getInstance(), app.get(METRICS_REGISTRY));
  return app;
}

/** Listens, logs the URL and installs graceful shutdown on SIGTERM/SIGINT. */
export async function listenUntilSignal(
  app: NestFastifyApplication,
  address: { host: string; port: number },
  config: NovationConfig,
  service: string,
): Promise<void> {
  const logger = app.get(Logger);
  await app.listen(address.port, address.host);
  logger.log(`${service} listening on ${await app.getUrl()}`);
  closeOnSignals(app, logger, config.shutdownTimeoutMs);
}

/**
 * The whole life of a service process: validate the environment (exit 1 naming a bad variable), create
 * the app, listen, and shut down gracefully on SIGTERM/SIGINT. A failure to start exits 1 with a
 * one-line reason, no stack trace.
 */
export async function runService(
  service: string,
  createApp: (config: NovationConfig) => Promise<NestFastifyApplication>,
  addressOf: (config: NovationConfig) => { host: string; port: number },
): Promise<void> {
  const config = loadConfigOrExit();
  try {
    const app = await createApp(config);
    await listenUntilSignal(app, addressOf(config), config, service);
  } catch (error) {
    process.stderr.write(`${service} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
