/**
 * A server starts whether or not its store answers. The first attempt decides how:
 * connected, it prepares (configures the queues, relays events, starts the pools) before
 * it listens, as always; not connected, it listens at once in `degraded` (health says so,
 * store calls answer 503), says why in one line, and prepares as soon as the store
 * answers (the Redis client retries with backoff up to 1 s). A failure is logged again
 * only when its reason changes, never once per retry.
 */
import { isStoreOutage } from '../store/store-errors.js';
import type { CreatedStore } from './create-store.js';
import { redactUrl } from './redact-url.js';

export interface StoreStartup {
  /** True when the store answered at the first attempt (and `prepare` has run). */
  connectedAtOnce: boolean;
  /** True once the store answered and `prepare` ran; false when startup failed or was stopped. */
  ready: Promise<boolean>;
  /** Gives up waiting (the server is closing). */
  stop(): void;
}

const retryMs = 1_000;

/** The one line an unreachable store is reported with, credentials redacted. */
export function unreachableLine(url: string, error: Error): string {
  const auth = /^(WRONGPASS|NOAUTH)\b/.exec(error.message)?.[1];
  const code = (error as NodeJS.ErrnoException).code;
  const reason = auth
    ? `${auth}: check the password in JOBGATE_STORE`
    : (code ?? error.message.split('\n')[0]!.slice(0, 200));
  return `store unreachable: ${redactUrl(url)} (${reason}), retrying`;
}

export async function startStore(
  created: CreatedStore,
  options: {
    url: string;
    /** Store work that must run once it answers; retried while the store is away. */
    prepare: () => Promise<void>;
    log: (line: string) => void;
  },
): Promise<StoreStartup> {
  const stopping = new AbortController();
  let lastLine: string | null = null;
  let failedOnce!: () => void;
  const failed = new Promise<void>((resolve) => {
    failedOnce = resolve;
  });
  const onFailure = (error: Error) => {
    const line = unreachableLine(options.url, error);
    if (line !== lastLine) options.log(line);
    lastLine = line;
    failedOnce();
  };
  const ready = (async () => {
    await created.connect(onFailure, stopping.signal);
    // The store may go away again between connecting and preparing: keep at it.
    for (;;) {
      try {
        await options.prepare();
        break;
      } catch (error) {
        if (!isStoreOutage(error) || stopping.signal.aborted) throw error;
        onFailure(error as Error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
    if (lastLine !== null) options.log(`store connected: ${redactUrl(options.url)}`);
  })();
  const connectedAtOnce = await Promise.race([ready.then(() => true), failed.then(() => false)]);
  return {
    connectedAtOnce,
    ready: ready.then(
      () => true,
      (error: unknown) => {
        if (!stopping.signal.aborted) options.log(`store startup failed: ${(error as Error).message}`);
        return false;
      },
    ),
    stop: () => stopping.abort(),
  };
}
