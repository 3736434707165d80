import type { Logger } from '@nestjs/common';

/**
 * Runs `work` every `intervalMs`, never two runs at once (the next run is scheduled when one ends). `stop`
 * cancels the next run and waits for the current one, so shutdown drains instead of cutting work short.
 * `runSoon` asks for a run now (a wake-up): at once if idle, right after the current run otherwise; many
 * wake-ups during one run collapse into one more run.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wokenDuringRun = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelScheduled();
    await this.running;
  }

  runSoon(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.wokenDuringRun = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs = this.intervalMs): void {
    if (this.stopped) return;
    this.cancelScheduled();
    // A wake-up runs on the next turn of the event loop: setTimeout(0) waits at least 1 ms, a tenth of
    // the tick-to-enqueue budget.
    if (delayMs === 0) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.runNow();
      });
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runNow();
    }, delayMs);
  }

  private runNow(): void {
    this.wokenDuringRun = false;
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      this.schedule(this.wokenDuringRun ? 0 : this.intervalMs);
    });
  }

  private cancelScheduled(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private async runOnce(): Promise<void> {
    try {
      await this.work();
    } catch (error) {
      // A failed run is retried at the next tick; the outbox keeps the work, so nothing is lost.
      this.logger.error(`${this.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
