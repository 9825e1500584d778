import { Command, InvalidArgumentError } from 'commander';
import type { JobStatus, JobView } from '../client/index.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { progressLine } from './progress-bar.js';
import { table } from './table.js';

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be valid JSON');
  }
}

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

export function submitCommand(): Command {
  return withConnection(new Command('submit'))
    .description('Submit a job to QUEUE')
    .argument('<queue>', 'queue name')
    .argument('[payload]', 'payload as JSON', parseJson)
    .option('--type <type>', 'job type')
    .option('--priority <n>', '1 (highest) … 10 (lowest)', parseInteger)
    .option('--delay-ms <ms>', 'run no earlier than this many ms from now', parseInteger)
    .option('--max-attempts <n>', 'attempts before the job fails', parseInteger)
    .option('--timeout-ms <ms>', 'per-attempt timeout', parseInteger)
    .option('--idempotency-key <key>', 'submit at most once per key')
    .option('--wait', 'follow the job with a progress bar until it ends', false)
    .action(
      (
        queue: string,
        payload: unknown,
        opts: ConnectionOptions & {
          type?: string;
          priority?: number;
          delayMs?: number;
          maxAttempts?: number;
          timeoutMs?: number;
          idempotencyKey?: string;
          wait: boolean;
        },
      ) =>
        guarded(async () => {
          const api = client(opts);
          const job = await api.submit(
            {
              queue,
              payload,
              type: opts.type,
              priority: opts.priority,
              delayMs: opts.delayMs,
              maxAttempts: opts.maxAttempts,
              timeoutMs: opts.timeoutMs,
            },
            { idempotencyKey: opts.idempotencyKey },
          );
          if (!opts.wait) {
            process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
            return;
          }
          process.stderr.write(`submitted ${job.id}\n`);
          const interactive = process.stderr.isTTY === true;
          const final = await api.wait(job.id, {
            onUpdate: (update) => {
              const line = progressLine(update);
              process.stderr.write(interactive ? `\r\x1b[2K${line}` : `${line}\n`);
            },
          });
          if (interactive) process.stderr.write('\n');
          process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
          if (final.status !== 'completed') process.exitCode = 1;
        }),
    );
}

export function jobsCommand(): Command {
  return withConnection(new Command('jobs'))
    .description('List jobs, newest first')
    .option('--status <status>', 'filter by status')
    .option('--queue <queue>', 'filter by queue')
    .option('--type <type>', 'filter by type')
    .option('--id <prefix>', 'jobs whose id starts with this (the short id a list shows)')
    .option('--limit <n>', 'at most this many (1-500)', parseInteger, 20)
    .option('--json', 'print JSON', false)
    .action(
      (
        opts: ConnectionOptions & {
          status?: JobStatus;
          queue?: string;
          type?: string;
          id?: string;
          limit: number;
          json: boolean;
        },
      ) =>
        guarded(async () => {
          const page = await client(opts).list({
            status: opts.status,
            queue: opts.queue,
            type: opts.type,
            id: opts.id,
            limit: opts.limit,
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
            return;
          }
          const rows = page.items.map((job: JobView) => [
            job.id,
            job.queue,
            job.status,
            `${Math.round(job.progress.percent)}%`,
            `${job.attempts}/${job.maxAttempts}`,
            job.createdAt,
          ]);
          process.stdout.write(
            rows.length
              ? `${table(['ID', 'QUEUE', 'STATUS', 'PROGRESS', 'ATTEMPTS', 'CREATED'], rows)}\n`
              : 'no jobs\n',
          );
        }),
    );
}
