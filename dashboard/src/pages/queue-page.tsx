/**
 * One queue: its status, its workers (state, current job, uptime), its running jobs
 * with live progress, and the operator's actions (admin): warm up, pause/resume,
 * pool min/max, clear. Running jobs follow the event stream (a queue subscription for
 * admins, one per job for tenants); the status and worker list are polled every 5 s.
 */
import { type FormEvent, useEffect, useState } from 'react';
import {
  type ActiveJobView,
  isApiError,
  type JobEvent,
  type PoolView,
  type QueuePolicyView,
  type WorkerView,
} from '../../../src/client/index.js';
import { QueueBadge, WorkerBadge } from '../components/badges.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ago, count, duration, shortId, waitText } from '../components/format.js';
import { JobCounts } from '../components/job-counts.js';
import { ErrorNote, errorText, Notice } from '../components/notice.js';
import { ProgressBar } from '../components/progress-bar.js';
import { WorkerStates } from '../components/worker-states.js';
import { useJobEvents, useQueueEvents } from '../hooks/use-live.js';
import { useNow } from '../hooks/use-now.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';
import { statusPollMs } from './overview-page.js';

export function QueuePage({ queue }: { queue: string }) {
  const { client, role } = useSession();
  const admin = role === 'admin';
  const status = usePoll(() => client.queueStatus(queue), statusPollMs, [client, queue]);
  // Admins follow the queue's events, which say when the list changes (a slow poll covers a dropped
  // socket); tenants cannot follow a whole queue, so they poll for newly started jobs.
  const active = usePoll(
    () => client.activeJobs(queue, { limit: 200 }),
    admin ? 15_000 : statusPollMs,
    [client, queue, admin],
    1_500,
  );
  const workers = usePoll(
    () => (admin ? client.workers({ queue }) : Promise.resolve(null)),
    admin ? statusPollMs : null,
    [client, queue, admin],
  );
  const [notice, setNotice] = useState<string | null>(null);

  // Progress patches the row in place; a job that starts or stops changes the list: reload it (merged to ≤ 1 per 1.5 s).
  const onEvent = (event: JobEvent) => {
    if (event.kind === 'progress' || event.kind === 'snapshot') {
      active.setData((page) =>
        page
          ? {
              ...page,
              items: page.items.map((job) =>
                job.id === event.jobId ? { ...job, progress: event.progress } : job,
              ),
            }
          : page,
      );
    } else {
      active.reload();
      status.reload();
    }
  };
  useQueueEvents([queue], onEvent, admin);
  useJobEvents(active.data?.items.map((job) => job.id) ?? [], onEvent, !admin);

  const jobsByWorker = new Map<string, ActiveJobView[]>();
  for (const job of active.data?.items ?? []) {
    if (!job.workerId) continue;
    jobsByWorker.set(job.workerId, [...(jobsByWorker.get(job.workerId) ?? []), job]);
  }
  const refresh = () => {
    status.reload();
    workers.reload();
    active.reload();
  };

  return (
    <section aria-labelledby="queue-title">
      <p className="crumbs">
        <a href={links.overview()}>Overview</a> / queue
      </p>
      <header className="page-head">
        <h1 id="queue-title">{queue}</h1>
        {status.data ? <QueueBadge status={status.data.status} /> : null}
      </header>
      <ErrorNote error={status.error} />
      {status.data ? (
        <div className="card">
          <WorkerStates workers={status.data.workers} />
          {status.data.jobs ? <JobCounts queue={queue} jobs={status.data.jobs} /> : null}
          <p className="wait">
            <span className="muted">Estimated wait</span> {waitText(status.data.estimatedWait)}
            {status.data.maxWorkers !== null ? (
              <span className="muted"> · max {status.data.maxWorkers} running</span>
            ) : null}
          </p>
          {status.data.policy ? <PolicyLine policy={status.data.policy} /> : null}
        </div>
      ) : null}

      {admin && status.data ? (
        <QueueActions
          queue={queue}
          paused={status.data.paused === true}
          busy={status.data.status === 'busy'}
          waiting={
            status.data.jobs
              ? status.data.jobs.queued + status.data.jobs.scheduled + status.data.jobs.awaitingConfirmation
              : null
          }
          onDone={(text) => {
            setNotice(text);
            refresh();
          }}
        />
      ) : null}
      <Notice text={notice} />

      {admin ? (
        <section className="block" aria-labelledby="workers-title">
          <h2 id="workers-title">Workers</h2>
          {workers.error ? (
            <p className="muted">Worker list unavailable: {errorText(workers.error)}</p>
          ) : (
            <WorkerTable workers={workers.data?.items ?? []} jobsByWorker={jobsByWorker} />
          )}
        </section>
      ) : null}

      <section className="block" aria-labelledby="running-title">
        <h2 id="running-title">Running jobs {active.data ? `(${active.data.items.length})` : ''}</h2>
        <ErrorNote error={active.error} />
        {active.data && active.data.items.length === 0 ? <p className="muted">Nothing is running.</p> : null}
        <ul className="running-list">
          {active.data?.items.map((job) => (
            <li key={job.id} className="running-job">
              <div className="running-head">
                <a href={links.job(job.id)}>{shortId(job.id)}</a>
                <span className="muted">
                  {job.type} · {job.owner} · attempt {job.attempts}/{job.maxAttempts}
                  {job.workerId ? ` · ${job.workerId}` : ''}
                </span>
                {job.cancelRequested ? <span className="badge job-cancelled">cancel requested</span> : null}
              </div>
              <ProgressBar
                percent={job.progress.percent}
                stage={job.progress.stage}
                message={job.progress.message}
                label={`Progress of job ${job.id}`}
              />
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}

function WorkerTable({
  workers,
  jobsByWorker,
}: {
  workers: WorkerView[];
  jobsByWorker: Map<string, ActiveJobView[]>;
}) {
  const now = useNow();
  if (workers.length === 0)
    return <p className="muted">No registered worker (in-process workers show in the counts above).</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">State</th>
            <th scope="col">Current job</th>
            <th scope="col">Uptime</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((worker) => (
            <tr key={worker.id}>
              <td>
                <code>{worker.id}</code>
                <span className="muted"> ×{worker.concurrency}</span>
              </td>
              <td>
                <WorkerBadge state={worker.state} />
              </td>
              <td>
                {(jobsByWorker.get(worker.id) ?? []).map((job) => (
                  <a key={job.id} href={links.job(job.id)} className="job-link">
                    {shortId(job.id)} {job.progress.stage ? `(${job.progress.stage})` : ''}
                  </a>
                ))}
                {(jobsByWorker.get(worker.id) ?? []).length === 0
                  ? worker.running > 0
                    ? `${worker.running} job(s)`
                    : '—'
                  : null}
              </td>
              <td>{duration(now - Date.parse(worker.startedAt))}</td>
              <td>{ago(worker.lastSeenAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function QueueActions({
  queue,
  paused,
  busy: queueBusy,
  waiting,
  onDone,
}: {
  queue: string;
  paused: boolean;
  /** Every slot runs a job (or the cap is reached): a warmup would start nothing useful, so it is not offered. */
  busy: boolean;
  waiting: number | null;
  onDone: (text: string) => void;
}) {
  const { client } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmClear, setConfirmClear] = useState(false);
  const pool = usePoll<PoolView | null>(
    async () => {
      // The list of pools, not this queue's pool: a queue without one is simply not in it
      // (asking for it would answer 422 on every poll, counted as an error in /metrics).
      try {
        return (await client.pools()).items.find((item) => item.queue === queue) ?? null;
      } catch (failure) {
        // No pool manager on this server: the min/max form is hidden.
        if (isApiError(failure) && [404, 409].includes(failure.status)) return null;
        throw failure;
      }
    },
    null,
    [client, queue],
  );
  const run = async (name: string, action: () => Promise<string>) => {
    setBusy(name);
    setError(null);
    try {
      onDone(await action());
      if (name === 'pool') pool.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  };
  const warmup = () =>
    run('warmup', async () => {
      const answer = await client.warmup(queue);
      const said = {
        noop: 'a worker is already ready',
        started: `started ${answer.started.join(', ') || 'a worker'}`,
        starting: 'a worker is already starting',
        at_capacity: 'the pool is at its maximum and every worker is busy',
      }[answer.status];
      return `Warm up: ${said} (${answer.workersReady} ready, ${answer.workersInitializing} starting).`;
    });
  const togglePause = () =>
    run('pause', async () => {
      const answer = paused ? await client.resumeQueue(queue) : await client.pauseQueue(queue);
      return answer.paused ? `Paused ${queue}: jobs are admitted, none is started.` : `Resumed ${queue}.`;
    });
  const clear = () => {
    setConfirmClear(false);
    return run('clear', async () => {
      const answer = await client.clearQueue(queue);
      return `Cleared ${answer.cleared} waiting job${answer.cleared === 1 ? '' : 's'} from ${queue}.`;
    });
  };

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div className="actions">
        {queueBusy ? null : (
          <button type="button" onClick={warmup} disabled={busy !== null}>
            {busy === 'warmup' ? 'Warming up…' : 'Warm up'}
          </button>
        )}
        <button type="button" onClick={togglePause} disabled={busy !== null}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => setConfirmClear(true)}
          disabled={busy !== null}
        >
          Clear waiting jobs
        </button>
      </div>
      {pool.data ? (
        <PoolForm
          pool={pool.data}
          disabled={busy !== null}
          onSave={(change) =>
            run('pool', async () => {
              const answer = await client.updatePool(queue, change);
              return `Pool of ${queue}: min ${answer.min}, max ${answer.max}.`;
            })
          }
        />
      ) : null}
      <ErrorNote error={error} />
      <ConfirmDialog
        open={confirmClear}
        title={`Clear ${queue}?`}
        confirmLabel={`Delete ${waiting === null ? 'the waiting' : count(waiting)} job${waiting === 1 ? '' : 's'}`}
        danger
        onConfirm={clear}
        onCancel={() => setConfirmClear(false)}
      >
        <p>
          This deletes {waiting === null ? 'every' : <strong>{count(waiting)}</strong>} waiting job
          {waiting === 1 ? '' : 's'} (queued, scheduled, awaiting confirmation) of <strong>{queue}</strong>.
          Running jobs are left alone. It cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function PoolForm({
  pool,
  disabled,
  onSave,
}: {
  pool: PoolView;
  disabled: boolean;
  onSave: (change: { min: number; max: number }) => void;
}) {
  const [min, setMin] = useState(String(pool.min));
  const [max, setMax] = useState(String(pool.max));
  useEffect(() => {
    setMin(String(pool.min));
    setMax(String(pool.max));
  }, [pool.min, pool.max]);
  const invalid = !/^\d+$/.test(min) || !/^\d+$/.test(max) || Number(max) < 1 || Number(min) > Number(max);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!invalid) onSave({ min: Number(min), max: Number(max) });
  };
  return (
    <form className="pool-form" onSubmit={submit} aria-label="Pool size">
      <span className="muted">
        Pool ({pool.provider}, {pool.workers.length} started, idle timeout {pool.idleTimeoutSec} s)
      </span>
      <label>
        Min workers
        <input
          type="number"
          min={0}
          inputMode="numeric"
          value={min}
          onChange={(e) => setMin(e.target.value)}
        />
      </label>
      <label>
        Max workers
        <input
          type="number"
          min={1}
          inputMode="numeric"
          value={max}
          onChange={(e) => setMax(e.target.value)}
        />
      </label>
      <button type="submit" disabled={disabled || invalid}>
        Save pool size
      </button>
      {invalid ? <span className="note error">Min must be ≤ max, and max ≥ 1.</span> : null}
    </form>
  );
}

/** The queue's policy: what its jobs get when a submit leaves a field out (docs/CAPACITY.md). */
function PolicyLine({ policy }: { policy: QueuePolicyView }) {
  const { backoff } = policy;
  return (
    <p className="small" data-testid="queue-policy">
      <span className="muted">Policy</span> timeout{' '}
      {policy.timeoutMs === null ? 'none' : duration(policy.timeoutMs)}
      {' · '}
      {policy.maxAttempts} attempts · priority {policy.priority} · backoff {backoff.type}{' '}
      {duration(backoff.baseMs)}
      {backoff.type === 'exponential' ? ` up to ${duration(backoff.capMs)}` : ''}
      {policy.maxQueued !== null ? ` · at most ${policy.maxQueued} waiting` : ''}
      {policy.set.length > 0 ? <span className="muted"> (set here: {policy.set.join(', ')})</span> : null}
    </p>
  );
}
