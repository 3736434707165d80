import type { NovationConfig } from '@novation/config';
import { LoggerModule } from 'nestjs-pino';

/**
 * Structured JSON logs (pino) for every service, one line per event, with the service name on each.
 * Authorization headers and API keys are redacted; health probes and metrics scrapes are not logged.
 * A request that succeeded is logged at `debug` (LOG_LEVEL=debug turns the access log on): at thousands
 * of GraphQL requests a second, one JSON line each was the largest single CPU cost of the API under load
 * (profiled with the api-load bench), and request counts and latencies are in /metrics anyway. Client
 * errors (4xx) are logged at `warn`, server errors and failed responses at `error`.
 */
export function loggingModule(config: NovationConfig, service: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      base: { service, environment: config.environmentName },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], remove: true },
      autoLogging: { ignore: (request) => /^\/(health|metrics)/.test(request.url ?? '') },
      customLogLevel: (_request, response, error) => {
        if (error !== undefined || response.statusCode >= 500) return 'error';
        return response.statusCode >= 400 ? 'warn' : 'debug';
      },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
    },
  });
}
