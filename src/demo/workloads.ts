/**
 * The real workloads of examples/workloads/ (speech, image, video, browser-test) in
 * demo mode: each whose program is installed becomes a queue of the same name, and the
 * missing ones are named with the one command that installs them. `image` runs in a
 * pool of worker processes (the same module as their handlers), the rest in-process.
 * The workloads are plain JavaScript beside the examples, loaded from the checkout.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobgateConfig } from '../config/config-schema.js';
import type { JobHandler } from '../worker/handler.js';
import type { InProcessWorkers } from '../worker/in-process-workers.js';

interface Workload {
  queue: string;
  handler: JobHandler;
  present: () => boolean;
  apt: string;
  maxWorkers: number;
}

/** The queue run by pooled worker processes rather than in-process. */
export const pooledWorkload = 'image';

const modulePath = fileURLToPath(new URL('../../examples/workloads/index.js', import.meta.url));

export interface DemoWorkloads {
  present: string[];
  missing: Array<{ queue: string; apt: string }>;
  /** Registers the in-process ones (after the workers exist). */
  register(workers: InProcessWorkers, concurrency: number): void;
}

/** Adds the installed workloads' queues to `config` (a file's own settings win). */
export async function loadDemoWorkloads(config: JobgateConfig): Promise<DemoWorkloads | null> {
  if (!existsSync(modulePath)) return null;
  const { workloads } = (await import(modulePath)) as { workloads: Workload[] };
  const present = workloads.filter((w) => w.present());
  for (const w of present) {
    if (config.queues[w.queue]) continue;
    config.queues[w.queue] = {
      maxWorkers: w.maxWorkers,
      maxQueued: 10_000,
      ...(w.queue === pooledWorkload
        ? { pool: { min: 0, max: 2, idleTimeoutSec: 120, handlers: modulePath } }
        : {}),
    };
  }
  return {
    present: present.map((w) => w.queue),
    missing: workloads.filter((w) => !w.present()).map(({ queue, apt }) => ({ queue, apt })),
    register(workers, concurrency) {
      for (const w of present) {
        if (config.queues[w.queue]?.pool) continue;
        workers.register(w.queue, w.handler, { concurrency: Math.min(concurrency, w.maxWorkers) });
      }
    },
  };
}

export function missingWorkloadsLine(missing: DemoWorkloads['missing']): string | null {
  if (missing.length === 0) return null;
  const packages = [...new Set(missing.map((m) => m.apt))].join(' ');
  return `workloads not registered (${missing.map((m) => m.queue).join(', ')}): install them with  sudo apt-get install -y ${packages}`;
}
