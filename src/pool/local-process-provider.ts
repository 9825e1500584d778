/**
 * The local-process provider: each worker is a child process of this server. By
 * default it runs `node bin/jobgate.js worker --handlers <module> …`; with `command`
 * it runs that through the shell. Either way the child gets JOBGATE_URL, JOBGATE_KEY,
 * JOBGATE_QUEUES, JOBGATE_WORKER_ID and JOBGATE_CONCURRENCY (the key travels in the
 * environment, never on the command line where `ps` shows it).
 *
 * Stop: SIGTERM (the worker drains), then SIGKILL once its grace and `killAfterMs`
 * are over. A `jobgate worker` child also has an IPC channel and stops when it closes,
 * so it does not outlive a server that was killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { PoolProvider, WorkerExit, WorkerLaunch } from './pool-provider.js';

export interface LocalProcessProviderOptions {
  /** The Node binary for `jobgate worker`; default this one. */
  execPath?: string;
  /** The jobgate CLI script; default this package's bin/jobgate.js. */
  bin?: string;
  cwd?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Extra wait after the grace before SIGKILL; default 2 s. */
  killAfterMs?: number;
  /** Each line a worker writes; default: kept only as its exit's `output`. */
  onOutput?: (workerId: string, line: string) => void;
}

interface Child {
  process: ChildProcess;
  launch: WorkerLaunch;
  stopping: boolean;
  output: string[];
  exited: Promise<void>;
}

const outputLines = 20;
export const binDefault = fileURLToPath(new URL('../../bin/jobgate.js', import.meta.url));

export class LocalProcessProvider implements PoolProvider {
  readonly name = 'local';
  private readonly options: LocalProcessProviderOptions;
  private readonly children = new Map<string, Child>();
  private readonly exits = new EventEmitter();

  constructor(options: LocalProcessProviderOptions = {}) {
    this.options = options;
  }

  start(launch: WorkerLaunch): Promise<void> {
    if (this.children.has(launch.workerId)) throw new Error(`worker ${launch.workerId} already runs`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      JOBGATE_URL: launch.url,
      JOBGATE_KEY: launch.key,
      JOBGATE_QUEUES: launch.queue,
      JOBGATE_WORKER_ID: launch.workerId,
      JOBGATE_CONCURRENCY: String(launch.concurrency),
      ...(launch.handlers ? { JOBGATE_HANDLERS: launch.handlers } : {}),
    };
    const child = launch.command
      ? spawn('/bin/sh', ['-c', `exec ${launch.command}`], {
          cwd: this.options.cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(
          this.options.execPath ?? process.execPath,
          [this.options.bin ?? binDefault, ...workerArgs(launch)],
          {
            cwd: this.options.cwd,
            env,
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          },
        );
    const entry: Child = { process: child, launch, stopping: false, output: [], exited: Promise.resolve() };
    entry.exited = new Promise<void>((resolve) => {
      let reported = false;
      const report = (code: number | null, signal: string | null) => {
        if (reported) return;
        reported = true;
        this.children.delete(launch.workerId);
        const exit: WorkerExit = {
          workerId: launch.workerId,
          code,
          signal,
          crashed: !entry.stopping,
          output: entry.output.join('\n'),
        };
        this.exits.emit('exit', exit);
        resolve();
      };
      child.once('exit', report);
      // A child that could not be spawned at all (ENOENT) emits only `error`.
      child.once('error', (error) => {
        entry.output.push(String(error));
        if (child.pid === undefined) report(null, null);
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          if (!line) continue;
          entry.output.push(line);
          if (entry.output.length > outputLines) entry.output.shift();
          this.options.onOutput?.(launch.workerId, line);
        }
      });
    }
    this.children.set(launch.workerId, entry);
    return new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
  }

  async stop(workerId: string): Promise<void> {
    const entry = this.children.get(workerId);
    if (!entry) return;
    entry.stopping = true;
    entry.process.kill('SIGTERM');
    const timer = setTimeout(
      () => entry.process.kill('SIGKILL'),
      entry.launch.graceMs + (this.options.killAfterMs ?? 2_000),
    );
    await entry.exited;
    clearTimeout(timer);
  }

  onExit(listener: (exit: WorkerExit) => void): () => void {
    this.exits.on('exit', listener);
    return () => this.exits.off('exit', listener);
  }

  async close(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.stop(id)));
  }

  /** The process id of a running worker (tests kill it to play a crash). */
  pidOf(workerId: string): number | undefined {
    return this.children.get(workerId)?.process.pid;
  }

  /** Ids of the workers whose process runs now. */
  running(): string[] {
    return [...this.children.keys()];
  }
}

function workerArgs(launch: WorkerLaunch): string[] {
  const args = ['worker', '--url', launch.url, '--queues', launch.queue, '--worker-id', launch.workerId];
  args.push('--concurrency', String(launch.concurrency), '--grace-ms', String(launch.graceMs));
  if (launch.handlers) args.push('--handlers', launch.handlers);
  for (const [name, value] of Object.entries(launch.labels)) args.push('--label', `${name}=${value}`);
  return args;
}
