import { type Command, Option } from 'commander';
import { isApiError, JobgateClient } from '../client/index.js';
import { exitCodeForStatus } from './exit-codes.js';

export interface ConnectionOptions {
  url: string;
  key?: string;
}

export function withConnection(command: Command): Command {
  return (
    command
      .option(
        '--url <url>',
        'server URL (env JOBGATE_URL)',
        process.env.JOBGATE_URL ?? 'http://127.0.0.1:8080',
      )
      // Read from the environment by commander, so --help names the variable, never its value.
      .addOption(new Option('--key <key>', 'API key').env('JOBGATE_KEY'))
  );
}

export function client(opts: ConnectionOptions): JobgateClient {
  return new JobgateClient({ url: opts.url, key: opts.key });
}

/** Runs a command body, printing API errors as one clear line and their exit code (exit-codes.ts). */
export async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (isApiError(error)) {
      process.stderr.write(`error: ${error.code}: ${error.message}\n`);
      process.exitCode = exitCodeForStatus(error.status);
      return;
    }
    throw error;
  }
}
