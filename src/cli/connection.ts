import type { Command } from 'commander';
import { isApiError, JobgateClient } from '../client/index.js';

export interface ConnectionOptions {
  url: string;
  key?: string;
}

export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'server URL (env JOBGATE_URL)', process.env.JOBGATE_URL ?? 'http://127.0.0.1:8080')
    .option('--key <key>', 'API key (env JOBGATE_KEY)', process.env.JOBGATE_KEY);
}

export function client(opts: ConnectionOptions): JobgateClient {
  return new JobgateClient({ url: opts.url, key: opts.key });
}

/** Runs a command body, printing API errors as one clear line and a non-zero exit. */
export async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (isApiError(error)) {
      process.stderr.write(`error: ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
