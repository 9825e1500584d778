/**
 * A pool provider for the wait bench: each "instance" boots for a drawn time (a GPU
 * box loading its model), then runs an HTTP worker (the SDK's Worker) that registers
 * under the id the pool gave it — the path a Kubernetes or serverless provider takes,
 * without spawning processes whose start time depends on how loaded the machine is.
 */
import { EventEmitter } from 'node:events';
import type { PoolProvider, WorkerExit, WorkerLaunch } from '../src/pool/pool-provider.js';
import type { JobHandler } from '../src/worker/handler.js';
import { Worker } from '../src/worker/remote/index.js';

interface Instance {
  boot: NodeJS.Timeout | null;
  worker: Worker | null;
}

export class BootingProvider implements PoolProvider {
  readonly name = 'bench';
  private readonly instances = new Map<string, Instance>();
  private readonly exits = new EventEmitter();
  private readonly bootMs: () => number;
  private readonly handler: JobHandler;

  constructor(options: { bootMs: () => number; handler: JobHandler }) {
    this.bootMs = options.bootMs;
    this.handler = options.handler;
  }

  async start(launch: WorkerLaunch): Promise<void> {
    const instance: Instance = { boot: null, worker: null };
    this.instances.set(launch.workerId, instance);
    instance.boot = setTimeout(() => {
      instance.boot = null;
      instance.worker = new Worker({
        url: launch.url,
        key: launch.key,
        queues: [launch.queue],
        workerId: launch.workerId,
        concurrency: launch.concurrency,
        handler: this.handler,
        handleSignals: false,
        graceMs: launch.graceMs,
        labels: launch.labels,
      });
      instance.worker.start().catch(() => {});
    }, this.bootMs());
  }

  async stop(workerId: string): Promise<void> {
    const instance = this.instances.get(workerId);
    if (!instance) return;
    this.instances.delete(workerId);
    if (instance.boot) clearTimeout(instance.boot);
    await instance.worker?.stop();
    const exit: WorkerExit = { workerId, code: 0, signal: null, crashed: false, output: '' };
    this.exits.emit('exit', exit);
  }

  onExit(listener: (exit: WorkerExit) => void): () => void {
    this.exits.on('exit', listener);
    return () => this.exits.off('exit', listener);
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id)));
  }

  running(): number {
    return this.instances.size;
  }
}
