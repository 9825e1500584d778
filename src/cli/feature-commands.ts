/**
 * The commands for schedules, webhooks and artifacts — the API's other nouns:
 * `schedules list|show|create|pause|resume|run|delete`, `webhooks
 * list|create|enable|deliveries|redeliver|delete`, `artifacts list|download`.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { ScheduleView } from '../client/index.js';
import { type ConnectionOptions, client, guarded, withConnection } from './connection.js';
import { print, table } from './table.js';

type JsonOptions = ConnectionOptions & { json: boolean };
type Api = ReturnType<typeof client>;

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be valid JSON');
  }
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** `NAME ARG` subcommands that print what the call answers. */
function action<T>(
  name: string,
  description: string,
  argument: string,
  run: (api: Api, arg: string) => Promise<T>,
  human: (answer: T) => string,
) {
  return withConnection(new Command(name))
    .description(description)
    .argument(`<${argument}>`)
    .option('--json', 'print JSON', false)
    .action((arg: string, opts: JsonOptions) =>
      guarded(async () => {
        const answer = await run(client(opts), arg);
        print(opts.json, answer, () => human(answer));
      }),
    );
}

const scheduleLine = (s: ScheduleView) =>
  `${s.name}: ${s.enabled ? 'enabled' : 'paused'}, next ${s.nextRuns[0] ?? '-'}, last run ${s.lastRun ? `${s.lastRun.jobId} (${s.lastRun.status ?? '?'})` : '-'}`;

export function schedulesCommand(): Command {
  const schedules = new Command('schedules').description('Cron schedules: one job per tick across servers');
  schedules.addCommand(
    withConnection(new Command('list'))
      .description('List schedules with their next and last runs')
      .option('--json', 'print JSON', false)
      .action((opts: JsonOptions) =>
        guarded(async () => {
          const answer = await client(opts).schedules();
          print(opts.json, answer, () =>
            answer.items.length === 0
              ? 'no schedules'
              : table(
                  ['NAME', 'CRON', 'TIMEZONE', 'QUEUE', 'STATE', 'NEXT RUN', 'LAST RUN'],
                  answer.items.map((s) => [
                    s.name,
                    s.cron,
                    s.timezone,
                    s.queue,
                    s.enabled ? 'enabled' : 'paused',
                    s.nextRuns[0] ?? '-',
                    s.lastRun ? `${s.lastRun.jobId} ${s.lastRun.status ?? ''}`.trim() : '-',
                  ]),
                ),
          );
        }),
      ),
  );
  schedules.addCommand(
    withConnection(new Command('create'))
      .description('Create a schedule')
      .argument('<name>')
      .requiredOption('--cron <expr>', '5 fields, or 6 with seconds first')
      .requiredOption('--queue <queue>', 'queue the jobs go to')
      .option('--timezone <zone>', 'IANA time zone the fields are read in (default UTC)')
      .option('--payload <json>', 'job payload', parseJson)
      .option('--type <type>', 'job type')
      .option('--overlap <policy>', 'allow | skip (skip a tick while the last run is unfinished)')
      .option('--json', 'print JSON', false)
      .action(
        (
          name: string,
          opts: JsonOptions & {
            cron: string;
            queue: string;
            timezone?: string;
            payload?: unknown;
            type?: string;
            overlap?: 'allow' | 'skip';
          },
        ) =>
          guarded(async () => {
            const created = await client(opts).createSchedule({
              name,
              cron: opts.cron,
              queue: opts.queue,
              timezone: opts.timezone,
              payload: opts.payload,
              type: opts.type,
              overlap: opts.overlap,
            });
            print(opts.json, created, () => scheduleLine(created));
          }),
      ),
  );
  schedules.addCommand(
    action(
      'show',
      'Show a schedule and its next five runs',
      'name',
      (api, name) => api.schedule(name),
      (s) => `${scheduleLine(s)}\nnext runs: ${s.nextRuns.join(', ')}`,
    ),
  );
  schedules.addCommand(
    action(
      'pause',
      'Pause a schedule (no ticks fire)',
      'name',
      (api, name) => api.pauseSchedule(name),
      scheduleLine,
    ),
  );
  schedules.addCommand(
    action(
      'resume',
      'Resume a paused schedule',
      'name',
      (api, name) => api.resumeSchedule(name),
      scheduleLine,
    ),
  );
  schedules.addCommand(
    action(
      'run',
      'Run a schedule once now',
      'name',
      (api, name) => api.runSchedule(name),
      (answer) => `submitted ${answer.jobId}`,
    ),
  );
  schedules.addCommand(
    action(
      'delete',
      'Delete a schedule',
      'name',
      async (api, name) => {
        await api.deleteSchedule(name);
        return { deleted: name };
      },
      (answer) => `deleted ${answer.deleted}`,
    ),
  );
  return schedules;
}

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description(
    'Signed notifications when jobs change (docs/WEBHOOKS.md)',
  );
  webhooks.addCommand(
    withConnection(new Command('list'))
      .description('List subscriptions')
      .option('--json', 'print JSON', false)
      .action((opts: JsonOptions) =>
        guarded(async () => {
          const answer = await client(opts).listWebhooks();
          print(opts.json, answer, () =>
            answer.items.length === 0
              ? 'no webhooks'
              : table(
                  ['ID', 'TARGET', 'EVENTS', 'QUEUES', 'STATE'],
                  answer.items.map((w) => [
                    w.id,
                    w.url ?? `mailto:${w.email ?? ''}`,
                    w.events.join(','),
                    w.queues?.join(',') ?? '*',
                    w.enabled ? 'enabled' : `disabled${w.disabledReason ? `: ${w.disabledReason}` : ''}`,
                  ]),
                ),
          );
        }),
      ),
  );
  webhooks.addCommand(
    withConnection(new Command('create'))
      .description('Subscribe a URL (or an email address) to job events; the secret is printed once')
      .option('--endpoint <url>', 'HTTPS endpoint that receives signed POSTs')
      .option('--email <address>', 'send the events by email instead')
      .option('--events <list>', 'comma-separated, e.g. job.completed,job.failed', list)
      .option('--queues <list>', 'only these queues', list)
      .option('--json', 'print JSON', false)
      .action(
        (opts: JsonOptions & { endpoint?: string; email?: string; events?: string[]; queues?: string[] }) =>
          guarded(async () => {
            const created = await client(opts).createWebhook({
              url: opts.endpoint,
              email: opts.email,
              events: opts.events,
              queues: opts.queues,
            });
            print(
              opts.json,
              created,
              () => `${created.subscription.id}\nsecret (shown once): ${created.secret}`,
            );
          }),
      ),
  );
  webhooks.addCommand(
    action(
      'enable',
      'Re-enable a subscription disabled after failures',
      'id',
      async (api, id) => (await api.updateWebhook(id, { enabled: true })).subscription,
      (w) => `${w.id}: enabled`,
    ),
  );
  webhooks.addCommand(
    action(
      'deliveries',
      'A subscription’s recent deliveries',
      'id',
      (api, id) => api.webhookDeliveries(id),
      (answer) =>
        answer.items.length === 0
          ? 'no deliveries'
          : table(
              ['ID', 'EVENT', 'JOB', 'STATUS', 'ATTEMPTS', 'CODE', 'NEXT ATTEMPT'],
              answer.items.map((d) => [
                d.id,
                d.event,
                d.jobId ?? '-',
                d.status,
                String(d.attempts),
                d.responseCode === null ? '-' : String(d.responseCode),
                d.nextAttemptAt ?? '-',
              ]),
            ),
    ),
  );
  webhooks.addCommand(
    withConnection(new Command('redeliver'))
      .description('Send a delivery again')
      .argument('<id>', 'subscription id')
      .argument('<delivery>', 'delivery id')
      .option('--json', 'print JSON', false)
      .action((id: string, delivery: string, opts: JsonOptions) =>
        guarded(async () => {
          const answer = await client(opts).redeliverWebhook(id, delivery);
          print(opts.json, answer, () => `${answer.id}: ${answer.status}`);
        }),
      ),
  );
  webhooks.addCommand(
    action(
      'delete',
      'Delete a subscription',
      'id',
      async (api, id) => {
        await api.deleteWebhook(id);
        return { deleted: id };
      },
      (answer) => `deleted ${answer.deleted}`,
    ),
  );
  return webhooks;
}

export function artifactsCommand(): Command {
  const artifacts = new Command('artifacts').description('Files jobs produced (docs/ARTIFACTS.md)');
  artifacts.addCommand(
    action(
      'list',
      'A job’s artifacts with their signed links',
      'job',
      (api, id) => api.artifacts(id),
      (answer) =>
        answer.items.length === 0
          ? 'no artifacts'
          : table(
              ['NAME', 'SIZE', 'TYPE', 'SHA256', 'LINK'],
              answer.items.map((a) => [a.name, String(a.size), a.contentType, a.sha256.slice(0, 12), a.url]),
            ),
    ),
  );
  artifacts.addCommand(
    withConnection(new Command('download'))
      .description('Download one artifact (streamed) to a file, or to stdout with -o -')
      .argument('<job>', 'job id')
      .argument('<name>', 'artifact name')
      .option('-o, --output <file>', 'where to write it (default: the artifact’s name)')
      .action((job: string, name: string, opts: ConnectionOptions & { output?: string }) =>
        guarded(async () => {
          const { items } = await client(opts).artifacts(job);
          const artifact = items.find((item) => item.name === name);
          if (!artifact) {
            await client(opts).request(
              'GET',
              `/api/v1/jobs/${encodeURIComponent(job)}/artifacts/${encodeURIComponent(name)}`,
            );
            return;
          }
          const response = await fetch(artifact.url);
          if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status}`);
          const target = opts.output === '-' ? process.stdout : createWriteStream(opts.output ?? name);
          await pipeline(Readable.fromWeb(response.body as never), target);
          if (opts.output !== '-') process.stderr.write(`${opts.output ?? name}: ${artifact.size} bytes\n`);
        }),
      ),
  );
  return artifacts;
}
