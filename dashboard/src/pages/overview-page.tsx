/**
 * One card per queue: status badge, workers by state, jobs by state, estimated wait,
 * and the last hour's throughput and wait time. Statuses are polled every 5 s (one
 * request for every queue; worker states have no stream); the charts every 30 s.
 */
import { useMemo } from 'react';
import type { QueueHistoryView, QueueStatusView } from '../../../src/client/index.js';
import { QueueBadge } from '../components/badges.js';
import { Chart } from '../components/chart.js';
import { count, duration, waitText } from '../components/format.js';
import { JobCounts } from '../components/job-counts.js';
import { ErrorNote } from '../components/notice.js';
import { WorkerStates } from '../components/worker-states.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';

export const statusPollMs = 5_000;
const historyPollMs = 30_000;

export function OverviewPage({ theme }: { theme: string }) {
  const { client, role } = useSession();
  const queues = usePoll(() => client.queues(), statusPollMs, [client]);
  const usage = usePoll(() => client.usage(), role === 'tenant' ? 15_000 : null, [client, role]);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {role === 'tenant' && usage.data ? (
        <div className="card usage-card">
          <h2>Your usage today</h2>
          <UsageMeter used={usage.data.jobsUsed} remaining={usage.data.jobsRemaining} />
          <p className="muted">
            Iterations used {count(usage.data.iterationsUsed)} · resets{' '}
            {new Date(usage.data.dailyLimitResetsAt).toLocaleString()}
          </p>
        </div>
      ) : null}
      <ErrorNote error={queues.error} />
      {queues.loading && !queues.data ? <p className="muted">Loading queues…</p> : null}
      {queues.data && queues.data.items.length === 0 ? (
        <p className="muted">No queues yet: submit a job to create one.</p>
      ) : null}
      <div className="cards">
        {queues.data?.items.map((queue) => (
          <QueueCard key={queue.queue} status={queue} theme={theme} />
        ))}
      </div>
    </section>
  );
}

export function UsageMeter({ used, remaining }: { used: number; remaining: number | null }) {
  if (remaining === null) return <p>{count(used)} jobs today (no daily limit)</p>;
  const limit = used + remaining;
  return (
    <div className="usage-meter">
      <meter min={0} max={Math.max(1, limit)} value={used} aria-label="Daily jobs used" />
      <span>
        {count(used)} of {count(limit)} jobs ({count(remaining)} left)
      </span>
    </div>
  );
}

function QueueCard({ status, theme }: { status: QueueStatusView; theme: string }) {
  const { client } = useSession();
  const history = usePoll(() => client.queueHistory(status.queue), historyPollMs, [client, status.queue]);
  return (
    <article className="card queue-card" aria-labelledby={`queue-${status.queue}`}>
      <header className="card-head">
        <h2 id={`queue-${status.queue}`}>
          <a href={links.queue(status.queue)}>{status.queue}</a>
        </h2>
        <QueueBadge status={status.status} />
      </header>
      <WorkerStates workers={status.workers} />
      {status.jobs ? <JobCounts queue={status.queue} jobs={status.jobs} /> : null}
      <p className="wait">
        <span className="muted">Estimated wait</span> {waitText(status.estimatedWait)}
        {status.maxWorkers !== null ? (
          <span className="muted"> · max {status.maxWorkers} running</span>
        ) : null}
      </p>
      {status.errors?.map((error) => (
        <p key={error.part} className="note error">
          {error.part}: {error.message}
        </p>
      ))}
      {history.data ? <HistoryCharts history={history.data} theme={theme} /> : null}
      {history.error ? <p className="muted">Charts unavailable: {history.error.message}</p> : null}
    </article>
  );
}

function HistoryCharts({ history, theme }: { history: QueueHistoryView; theme: string }) {
  const { times, throughput, waits } = useMemo(() => {
    const times = history.buckets.map((bucket) => Date.parse(bucket.start) / 1000);
    const perMinute = 60_000 / history.bucketMs;
    return {
      times,
      throughput: [
        {
          label: 'completed',
          colorVar: '--ok',
          values: history.buckets.map((bucket) => bucket.completed * perMinute),
        },
        {
          label: 'failed',
          colorVar: '--bad',
          values: history.buckets.map((bucket) => bucket.failed * perMinute),
        },
      ],
      waits: [
        {
          label: 'wait p50',
          colorVar: '--accent',
          points: true,
          values: history.buckets.map((bucket) =>
            bucket.waitMsP50 === null ? null : bucket.waitMsP50 / 1000,
          ),
        },
        {
          label: 'run p50',
          colorVar: '--warn',
          points: true,
          values: history.buckets.map((bucket) => (bucket.runMsP50 === null ? null : bucket.runMsP50 / 1000)),
        },
      ],
    };
  }, [history]);
  const done = history.buckets.reduce((sum, bucket) => sum + bucket.completed, 0);
  return (
    <div className="charts">
      <Chart
        title={`Throughput, last hour (${done} completed)`}
        times={times}
        series={throughput}
        unit="/min"
        theme={theme}
      />
      <Chart
        title={`Wait and run time, last hour (per ${duration(history.bucketMs)})`}
        times={times}
        series={waits}
        unit="s"
        theme={theme}
      />
    </div>
  );
}
