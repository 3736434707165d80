import type { Logger } from '@nestjs/common';

/**
 * Runs `work` every `intervalMs`, never two runs at once (the next run is scheduled when one ends). `stop`
 * cancels the next run and waits for the current one, so shutdown drains instead of cutting work short.
 * `runSoon` asks for a run now (a wake-up): at once if idle, right after the current run otherwise; many
 * wake-ups during one run collapse into one more run.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wokenDuringRun = false;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.wokenDuringRun ? 0 : this.intervalMs);
      });
    }, delayMs);
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
