/**
 * `jobgate worker`: runs a remote worker (the `jobgate/worker` SDK) with the handlers of
 * a module whose default export maps queue names to handler functions:
 *
 *   export default { render: async (job, { signal, progress }) => … };
 *
 * Every flag has a JOBGATE_* environment default, which is how a pool passes them (the
 * key never appears on a command line there). SIGTERM/SIGINT drain it; a worker started
 * by a pool (with an IPC channel) also drains when its server goes away for good.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { JobHandler } from '../worker/handler.js';
import { Worker } from '../worker/remote/index.js';
import { positiveInteger } from './option-values.js';
import { redactUrl } from './redact-url.js';

interface WorkerCommandOptions {
  url: string;
  key?: string;
  queues?: string;
  handlers?: string;
  concurrency: number;
  workerId?: string;
  label: Record<string, string>;
  graceMs: number;
  workerVersion?: string;
}

function label(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('must be name=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Loads a handlers module: its default export (or the module itself) maps queues to functions. */
export async function loadHandlers(file: string): Promise<Record<string, JobHandler>> {
  const loaded = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  const map = (loaded.default ?? loaded) as Record<string, unknown>;
  if (map === null || typeof map !== 'object')
    throw new Error(`${file}: the default export must map queue names to handlers`);
  const handlers: Record<string, JobHandler> = {};
  for (const [queue, handler] of Object.entries(map)) {
    if (typeof handler !== 'function')
      throw new Error(`${file}: the handler of queue "${queue}" is not a function`);
    handlers[queue] = handler as JobHandler;
  }
  if (Object.keys(handlers).length === 0) throw new Error(`${file}: exports no handler`);
  return handlers;
}

export function workerCommand(): Command {
  const env = process.env;
  return (
    new Command('worker')
      .description(
        'Run a remote worker: lease jobs of QUEUES from a server and run them with a handlers module',
      )
      .option('--url <url>', 'server URL (env JOBGATE_URL)', env.JOBGATE_URL ?? 'http://127.0.0.1:8080')
      // Read by commander, so --help names the variable, never the key.
      .addOption(new Option('--key <key>', 'a worker API key').env('JOBGATE_KEY'))
      .option(
        '--queues <list>',
        'comma-separated queues; default every queue of the module (env JOBGATE_QUEUES)',
        env.JOBGATE_QUEUES,
      )
      .option(
        '--handlers <module>',
        'module whose default export maps queues to handlers (env JOBGATE_HANDLERS)',
        env.JOBGATE_HANDLERS,
      )
      .option(
        '--concurrency <n>',
        'jobs at once (env JOBGATE_CONCURRENCY)',
        positiveInteger,
        Number(env.JOBGATE_CONCURRENCY ?? 1) || 1,
      )
      .option('--worker-id <id>', 'register under this id (env JOBGATE_WORKER_ID)', env.JOBGATE_WORKER_ID)
      .option('--label <name=value>', 'a label to register with (repeatable)', label, {})
      .option(
        '--grace-ms <ms>',
        'on SIGTERM, wait this long for running jobs before releasing them',
        positiveInteger,
        10_000,
      )
      .option('--worker-version <version>', 'the version the worker reports')
      .action(async (opts: WorkerCommandOptions) => {
        const fail = (message: string) => {
          process.stderr.write(`jobgate worker: ${message}\n`);
          process.exit(2);
        };
        if (!opts.key) return fail('--key (or JOBGATE_KEY) is required: a worker API key');
        if (!opts.handlers) return fail('--handlers (or JOBGATE_HANDLERS) is required: a module of handlers');
        let handlers: Record<string, JobHandler>;
        try {
          handlers = await loadHandlers(opts.handlers);
        } catch (error) {
          return fail((error as Error).message);
        }
        const queues = opts.queues
          ? opts.queues
              .split(',')
              .map((queue) => queue.trim())
              .filter(Boolean)
          : Object.keys(handlers);
        const missing = queues.filter((queue) => !handlers[queue]);
        if (missing.length > 0)
          return fail(`${opts.handlers} has no handler for queue ${missing.join(', ')}`);
        const worker = new Worker({
          url: opts.url,
          key: opts.key,
          queues,
          handlers,
          concurrency: opts.concurrency,
          labels: opts.label,
          graceMs: opts.graceMs,
          ...(opts.workerId ? { workerId: opts.workerId } : {}),
          ...(opts.workerVersion ? { version: opts.workerVersion } : {}),
        });
        let refused = false;
        worker.on('error', (error: Error) => {
          process.stderr.write(`jobgate worker: ${error.message}\n`);
          // A key refused while running (revoked) will not come back: exit, so a pool counts
          // a crash with this reason instead of keeping a worker that can do nothing.
          if (refused || (error as { code?: unknown }).code !== 'JOBGATE_ERR_UNAUTHORIZED') return;
          refused = true;
          process.stderr.write('jobgate worker: the API key was refused (revoked?): stopping\n');
          void worker.stop().finally(() => process.exit(1));
        });
        worker.on('registered', (id: string) =>
          process.stdout.write(
            `jobgate worker ${id} ready for ${queues.join(', ')} at ${redactUrl(opts.url)}\n`,
          ),
        );
        // Started by a pool: when the server's process is gone, so is the reason to run.
        if (process.send) process.once('disconnect', () => void worker.stop().then(() => process.exit(0)));
        try {
          await worker.start();
        } catch (error) {
          fail(`cannot register: ${(error as Error).message}`);
        }
      })
  );
}
