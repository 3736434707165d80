import type { NovationConfig } from '@novation/config';
import { LoggerModule } from 'nestjs-pino';

/**
 * Structured JSON logs (pino) for every service, one line per event, with the service name on each.
 * Authorization headers and API keys are redacted; health probes and metrics scrapes are not logged.
 */
export function loggingModule(config: NovationConfig, service: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      base: { service, environment: config.environmentName },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], remove: true },
      autoLogging: { ignore: (request) => /^\/(health|metrics)/.test(request.url ?? '') },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
    },
  });
}
