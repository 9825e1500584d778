/**
 * Queues and workers: `queues` (every queue as a table), `pause`, `resume`, `clear`
 * (asks first; `--yes` for scripts), `warmup`, and `workers`.
 */
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { describeWait } from '../client/index.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { EXIT } from './exit-codes.js';
import { print, table } from './table.js';

type JsonOptions = ConnectionOptions & { json: boolean };

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

function onQueue(
  name: string,
  description: string,
  run: (api: ReturnType<typeof client>, queue: string) => Promise<unknown>,
) {
  return withConnection(new Command(name))
    .description(description)
    .argument('<queue>', 'queue name')
    .option('--json', 'print JSON', false)
    .action((queue: string, opts: JsonOptions) =>
      guarded(async () => {
        const answer = await run(client(opts), queue);
        print(
          opts.json,
          answer,
          () => `${queue}: ${name === 'warmup' ? (answer as { status: string }).status : `${name}d`}`,
        );
      }),
    );
}

export function queueCommands(): Command[] {
  const queues = withConnection(new Command('queues'))
    .description('List every queue with its status, jobs and estimated wait')
    .option('--json', 'print JSON', false)
    .action((opts: JsonOptions) =>
      guarded(async () => {
        const answer = await client(opts).queues();
        print(opts.json, answer, () =>
          answer.items.length === 0
            ? 'no queues'
            : table(
                ['QUEUE', 'STATUS', 'QUEUED', 'RUNNING', 'SCHEDULED', 'FAILED', 'WORKERS', 'WAIT'],
                answer.items.map((q) => [
                  q.queue,
                  q.status,
                  String(q.jobs?.queued ?? '?'),
                  String(q.jobs?.running ?? '?'),
                  String(q.jobs?.scheduled ?? '?'),
                  String(q.jobs?.failed ?? '?'),
                  String(Object.values(q.workers).reduce((sum, n) => sum + n, 0)),
                  q.estimatedWait ? describeWait(q.estimatedWait) : '-',
                ]),
              ),
        );
      }),
    );

  const clear = withConnection(new Command('clear'))
    .description('Delete a queue’s waiting jobs (queued, scheduled, awaiting confirmation); asks first')
    .argument('<queue>', 'queue name')
    .option('-y, --yes', 'do not ask', false)
    .option('--json', 'print JSON', false)
    .action((queue: string, opts: JsonOptions & { yes: boolean }) =>
      guarded(async () => {
        if (!opts.yes && !(await confirmed(`Delete every waiting job of ${queue}?`))) {
          process.stderr.write(`clear: not confirmed; nothing deleted (pass --yes to skip the question)\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        const answer = await client(opts).clearQueue(queue);
        print(opts.json, answer, () => `${queue}: cleared ${answer.cleared} job(s)`);
      }),
    );

  const workers = withConnection(new Command('workers'))
    .description('List workers with their state (admin key)')
    .option('--queue <queue>', 'only the workers of this queue')
    .option('--json', 'print JSON', false)
    .action((opts: JsonOptions & { queue?: string }) =>
      guarded(async () => {
        const answer = await client(opts).workers({ queue: opts.queue });
        print(opts.json, answer, () =>
          answer.items.length === 0
            ? 'no workers'
            : table(
                ['ID', 'STATE', 'QUEUES', 'RUNNING', 'VERSION', 'LAST SEEN'],
                answer.items.map((w) => [
                  w.id,
                  w.state,
                  w.queues.join(','),
                  `${w.running}/${w.concurrency}`,
                  w.version ?? '-',
                  w.lastSeenAt,
                ]),
              ),
        );
      }),
    );

  return [
    queues,
    onQueue('pause', 'Stop handing out a queue’s jobs (submits still accepted)', (api, q) =>
      api.pauseQueue(q),
    ),
    onQueue('resume', 'Hand out a paused queue’s jobs again', (api, q) => api.resumeQueue(q)),
    clear,
    onQueue(
      'warmup',
      'Make sure a worker of the queue is ready (noop, started, starting or at_capacity)',
      (api, q) => api.warmup(q),
    ),
    workers,
  ];
}
