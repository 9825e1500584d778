/**
 * `jobgate status [QUEUE]`: the queue panel (workers and jobs by state, estimated
 * wait) of one queue, or of every queue. `--watch` redraws it every `--interval` ms
 * until interrupted; on a terminal the screen is cleared first, otherwise each
 * refresh is appended under a timestamp.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { JobgateClient, QueueStatusView } from '../client/index.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { queuePanel } from './queue-panel.js';

interface StatusOptions extends ConnectionOptions {
  watch: boolean;
  interval: number;
  json: boolean;
}

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100)
    throw new InvalidArgumentError('must be an integer of at least 100 (ms)');
  return ms;
}

async function read(api: JobgateClient, queue: string | undefined): Promise<QueueStatusView[]> {
  return queue === undefined ? (await api.queues()).items : [await api.queueStatus(queue)];
}

export function statusCommand(): Command {
  return withConnection(new Command('status'))
    .description('Show a queue’s workers, jobs and estimated wait (every queue without QUEUE)')
    .argument('[queue]', 'queue name')
    .option('--watch', 'refresh until interrupted', false)
    .option('--interval <ms>', 'refresh interval with --watch', parseInterval, 2_000)
    .option('--json', 'print JSON', false)
    .action((queue: string | undefined, opts: StatusOptions) =>
      guarded(async () => {
        const api = client(opts);
        const interactive = process.stdout.isTTY === true;
        for (;;) {
          const statuses = await read(api, queue);
          const body = opts.json
            ? JSON.stringify(queue === undefined ? { items: statuses } : statuses[0], null, 2)
            : statuses.length === 0
              ? 'no queues'
              : statuses.map(queuePanel).join('\n\n');
          if (!opts.watch) {
            process.stdout.write(`${body}\n`);
            return;
          }
          const header = `jobgate status — ${new Date().toISOString()} (every ${opts.interval} ms, Ctrl-C to stop)`;
          process.stdout.write(`${interactive ? '\x1b[2J\x1b[H' : ''}${header}\n\n${body}\n\n`);
          await new Promise((resolve) => setTimeout(resolve, opts.interval));
        }
      }),
    );
}
