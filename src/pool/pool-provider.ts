/**
 * Where a pool's workers run. A provider starts and stops workers and reports when one
 * ends; it never decides how many there should be (the pool manager does). The local
 * provider spawns processes on this host; another provider can start pods on
 * Kubernetes or instances on a serverless GPU service, as long as what it starts runs
 * a worker that registers with the `workerId` it was given (docs/WORKERS.md).
 */

/** Everything a started worker needs to find the server and name itself. */
export interface WorkerLaunch {
  workerId: string;
  queue: string;
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A worker-role API key. */
  key: string;
  concurrency: number;
  /** A module whose default export maps queue names to handlers (the default `jobgate worker`). */
  handlers?: string;
  /** A shell command to run instead of `jobgate worker` (any language; it reads JOBGATE_* variables). */
  command?: string;
  labels: Record<string, string>;
  /** How long the worker may take to finish its jobs once asked to stop. */
  graceMs: number;
}

export interface WorkerExit {
  workerId: string;
  code: number | null;
  signal: string | null;
  /** True when it ended without being asked to stop. */
  crashed: boolean;
  /** The last lines it wrote, to explain a crash. */
  output: string;
}

export interface PoolProvider {
  readonly name: string;
  /** Starts one worker; resolves once it is launched (it registers by itself later). */
  start(launch: WorkerLaunch): Promise<void>;
  /** Asks a worker to drain and stop; forces it after its grace. Resolves once it is gone. */
  stop(workerId: string): Promise<void>;
  /** Called once per worker that ended, whatever the reason. Returns an unsubscribe. */
  onExit(listener: (exit: WorkerExit) => void): () => void;
  /** Stops every worker it started and resolves once all are gone. */
  close(): Promise<void>;
}
