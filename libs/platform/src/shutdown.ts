import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Graceful shutdown: on SIGTERM or SIGINT, close the app (Nest runs every shutdown hook: HTTP server,
 * BullMQ workers finish their current jobs, database pool closes). If closing takes longer than
 * `timeoutMs`, exit non-zero instead of hanging an orchestrator's rollout.
 */
export function closeOnSignals(app: INestApplicationContext, logger: LoggerService, timeoutMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`received ${signal}, shutting down`);
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms, exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
