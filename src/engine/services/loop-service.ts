/**
 * A background loop with a clean start/stop: it runs `tick` every interval, never two
 * ticks at once, and when a tick did a full batch it runs again at once (draining a
 * backlog without waiting an interval per batch). Tests wait on the `tick` signal
 * instead of sleeping.
 */
import { EventEmitter } from 'node:events';

export interface LoopServiceConfig {
  name: string;
  intervalMs: number;
  /** Does one batch; returns how many items it handled. */
  tick: () => Promise<number>;
  /** A tick that handled this many runs again without waiting. */
  batchSize: number;
  onError?: (error: unknown) => void;
}

export class LoopService extends EventEmitter {
  readonly name: string;
  private readonly config: LoopServiceConfig;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(config: LoopServiceConfig) {
    super();
    if (!(config.intervalMs > 0)) throw new Error(`${config.name}.intervalMs must be above zero`);
    if (!(config.batchSize > 0)) throw new Error(`${config.name}.batchSize must be above zero`);
    this.name = config.name;
    this.config = config;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Resolves once the current tick (if any) has finished; no tick starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs a tick now (used by tests and by callers that know there is work). */
  async runOnce(): Promise<number> {
    return this.config.tick();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    let handled = 0;
    try {
      handled = await this.config.tick();
      this.emit('tick', handled);
    } catch (error) {
      this.emit('error-tick', error);
      this.config.onError?.(error);
    }
    this.schedule(handled >= this.config.batchSize ? 0 : this.config.intervalMs);
  }
}
