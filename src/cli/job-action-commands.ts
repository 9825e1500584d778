/**
 * One job by id: `get`, `cancel`, `retry`, and `logs` (its events — transitions, stages,
 * progress — as timestamped lines; `--follow` streams them until the job ends).
 */
import { Command } from 'commander';
import { describeWait, type JobView } from '../client/index.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { print } from './table.js';

type JsonOptions = ConnectionOptions & { json: boolean };

/** A job as a few `field  value` lines. */
export function jobSummary(job: JobView): string {
  const rows: Array<[string, string]> = [
    ['id', job.id],
    ['queue', `${job.queue} (type ${job.type})`],
    ['status', job.status],
    ['progress', `${Math.round(job.progress.percent)}%${job.progress.stage ? ` ${job.progress.stage}` : ''}`],
    ['attempts', `${job.attempts}/${job.maxAttempts}`],
    ['owner', job.owner],
    ['created', job.createdAt],
  ];
  if (job.position !== undefined && job.position !== null) rows.push(['position', String(job.position)]);
  if (job.estimatedWait) rows.push(['wait', describeWait(job.estimatedWait)]);
  if (job.startedAt) rows.push(['started', job.startedAt]);
  if (job.finishedAt) rows.push(['finished', job.finishedAt]);
  if (job.error) rows.push(['error', job.error.message]);
  if (job.result !== null && job.result !== undefined) rows.push(['result', JSON.stringify(job.result)]);
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  // One line per attempt kept: number, outcome, duration, worker, error.
  if (job.attemptsDropped > 0) lines.push(`(${job.attemptsDropped} older attempts not kept)`);
  for (const a of job.attemptHistory ?? []) {
    const error = a.error ? `  ${a.error.message}` : '';
    lines.push(`#${a.attempt}  ${a.outcome}  ${a.durationMs} ms  ${a.workerId ?? '-'}${error}`);
  }
  return lines.join('\n');
}

function byId(
  name: string,
  description: string,
  run: (api: ReturnType<typeof client>, id: string) => Promise<JobView>,
) {
  return withConnection(new Command(name))
    .description(description)
    .argument('<id>', 'job id')
    .option('--json', 'print JSON', false)
    .action((id: string, opts: JsonOptions) =>
      guarded(async () => {
        const job = await run(client(opts), id);
        print(opts.json, job, () => jobSummary(job));
      }),
    );
}

export function jobActionCommands(): Command[] {
  const logs = withConnection(new Command('logs'))
    .description('Print a job’s events (state changes, stages, progress); --follow until it ends')
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep streaming until the job ends', false)
    .option('--json', 'print each event as a JSON line', false)
    .action((id: string, opts: JsonOptions & { follow: boolean }) =>
      guarded(async () => {
        for await (const event of client(opts).events(id)) {
          const percent = `${Math.round(event.progress.percent)}%`;
          const stage = event.progress.stage ? ` ${event.progress.stage}` : '';
          const message = event.progress.message ? ` — ${event.progress.message}` : '';
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(event)}\n`
              : `${event.at}  ${event.kind.padEnd(10)} ${event.status.padEnd(10)} ${percent}${stage}${message}\n`,
          );
          if (!opts.follow) return;
        }
      }),
    );
  return [
    byId('get', 'Show a job: status, progress, attempts, result or error', (api, id) => api.get(id)),
    byId('cancel', 'Cancel a job (a running one is asked to stop)', (api, id) => api.cancel(id)),
    byId('retry', 'Retry a failed or cancelled job with a fresh attempt budget', (api, id) => api.retry(id)),
    logs,
  ];
}
