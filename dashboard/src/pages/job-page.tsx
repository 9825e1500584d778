/**
 * One job: live progress (stage and message) from its Server-Sent Events stream,
 * payload, result or error, attempts with times, place in line and estimated wait
 * while queued, the caller's usage, and the actions its state allows.
 *
 * The stream gives status and progress; the job itself is re-read when its status
 * changes (merged to ≤ 1 per second), and every 5 s while it is queued, since its
 * position moves with other jobs' events, which this stream does not carry.
 * EventSource reconnects by itself with Last-Event-ID; the server ends the stream
 * after the final event.
 */
import { useEffect, useRef, useState } from 'react';
import { type JobEvent, type JobView, terminalStatuses } from '../../../src/client/index.js';
import { ArtifactList } from '../components/artifact-list.js';
import { JobBadge } from '../components/badges.js';
import { count, duration, json, time, waitText } from '../components/format.js';
import { ErrorNote, Notice } from '../components/notice.js';
import { ProgressBar } from '../components/progress-bar.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';
import { UsageMeter } from './overview-page.js';

const timelineMax = 200;
type StreamState = 'connecting' | 'open' | 'reconnecting' | 'ended';

export function JobPage({ id }: { id: string }) {
  const { client } = useSession();
  const [queued, setQueued] = useState(false);
  const job = usePoll(() => client.get(id), queued ? 5_000 : null, [client, id, queued]);
  const [live, setLive] = useState<Pick<JobEvent, 'status' | 'progress'> | null>(null);
  const [timeline, setTimeline] = useState<JobEvent[]>([]);
  const [stream, setStream] = useState<StreamState>('connecting');
  /** Bumped to open a new stream after a retry or confirm revived a finished job. */
  const [epoch, setEpoch] = useState(0);
  const lastStatus = useRef<string | null>(null);
  const reload = job.reload;
  // Re-read when the job's status changes: a finished job has all its artifacts.
  const artifacts = usePoll(() => client.artifacts(id), null, [client, id, job.data?.status]);

  useEffect(() => setQueued(job.data?.status === 'queued'), [job.data?.status]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `epoch` reopens the stream.
  useEffect(() => {
    lastStatus.current = null;
    const source = new EventSource(client.jobEventsUrl(id));
    source.onopen = () => setStream('open');
    source.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as JobEvent;
      setLive({ status: event.status, progress: event.progress });
      setTimeline((current) => [...current.slice(-(timelineMax - 1)), event]);
      if (event.status !== lastStatus.current) {
        lastStatus.current = event.status;
        if (event.kind !== 'snapshot') reload();
      }
      if (terminalStatuses.includes(event.status) && event.kind !== 'snapshot') {
        source.close();
        setStream('ended');
      }
    };
    source.onerror = () => {
      // CLOSED: the server refused (404) or said there is nothing more (204); otherwise it reconnects.
      setStream(source.readyState === EventSource.CLOSED ? 'ended' : 'reconnecting');
    };
    return () => source.close();
  }, [client, id, reload, epoch]);

  if (job.error && !job.data)
    return (
      <section>
        <h1>Job {id}</h1>
        <ErrorNote error={job.error} />
        <p>
          <a href={links.jobs()}>All jobs</a>
        </p>
      </section>
    );
  if (!job.data) return <p className="muted">Loading job…</p>;
  const view = job.data;
  const status = live && !terminalStatuses.includes(view.status) ? live.status : view.status;
  const progress = live && !terminalStatuses.includes(view.status) ? live.progress : view.progress;

  return (
    <section aria-labelledby="job-title">
      <p className="crumbs">
        <a href={links.jobs()}>Jobs</a> / <a href={links.queue(view.queue)}>{view.queue}</a>
      </p>
      <header className="page-head">
        <h1 id="job-title">
          Job <code className="job-id">{view.id}</code>
        </h1>
        <JobBadge status={status} />
        <span className={`stream stream-${stream}`}>
          {stream === 'open' ? 'live' : stream === 'ended' ? 'stream ended' : `stream ${stream}…`}
        </span>
      </header>
      <JobActions
        job={view}
        status={status}
        onChange={(next) => {
          job.setData(() => next);
          if (stream === 'ended' && !terminalStatuses.includes(next.status)) {
            setLive(null);
            setStream('connecting');
            setEpoch((n) => n + 1);
          }
        }}
      />
      <div className="card">
        <ProgressBar
          percent={progress.percent}
          stage={progress.stage}
          message={progress.message}
          label="Job progress"
          status={status}
        />
        {status === 'queued' ? (
          <p className="wait">
            <span className="muted">Position</span> {view.position ?? '—'} ·{' '}
            <span className="muted">estimated wait</span> {waitText(view.estimatedWait)}
          </p>
        ) : null}
        {view.message ? <p className="note info">{view.message}</p> : null}
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Details</h2>
          <dl className="facts">
            <dt>Queue</dt>
            <dd>
              <a href={links.queue(view.queue)}>{view.queue}</a>
            </dd>
            <dt>Type</dt>
            <dd>{view.type}</dd>
            <dt>Owner</dt>
            <dd>
              {view.owner}
              {view.projectId ? ` / ${view.projectId}` : ''}
            </dd>
            <dt>Priority</dt>
            <dd>{view.priority}</dd>
            {view.parentId ? (
              <>
                <dt>Follow-up of</dt>
                <dd>
                  <a href={links.job(view.parentId)}>{view.parentId}</a> (depth {view.depth})
                </dd>
              </>
            ) : null}
            <dt>Timeout</dt>
            <dd>{view.timeoutMs === null ? 'none' : duration(view.timeoutMs)}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Attempts</h2>
          <dl className="facts">
            <dt>Attempts</dt>
            <dd>
              {view.attempts} of {view.maxAttempts}
            </dd>
            <dt>Created</dt>
            <dd>{time(view.createdAt)}</dd>
            <dt>Run at</dt>
            <dd>{time(view.runAt)}</dd>
            <dt>Last attempt started</dt>
            <dd>{time(view.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{time(view.finishedAt)}</dd>
            {view.startedAt && view.finishedAt ? (
              <>
                <dt>Ran for</dt>
                <dd>{duration(Date.parse(view.finishedAt) - Date.parse(view.startedAt))}</dd>
              </>
            ) : null}
          </dl>
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Payload</h2>
          <pre className="code">{json(view.payload)}</pre>
        </div>
        <div className="card">
          {view.error ? (
            <>
              <h2>Error</h2>
              <pre className="code error-text">{view.error.message}</pre>
              <p className="muted">{view.error.retryable ? 'Retryable' : 'Not retryable'}</p>
            </>
          ) : (
            <>
              <h2>Result</h2>
              <pre className="code">{view.result === null ? '—' : json(view.result)}</pre>
            </>
          )}
        </div>
      </div>
      {view.attemptHistory?.length ? (
        <div className="card">
          <h2>Attempts</h2>
          {view.attemptsDropped > 0 ? (
            <p className="muted">{view.attemptsDropped} older attempts not kept</p>
          ) : null}
          <table aria-label="Attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>Outcome</th>
                <th>Started</th>
                <th>Waited</th>
                <th>Took</th>
                <th>Worker</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {view.attemptHistory.map((a) => (
                <tr key={`${a.attempt}-${a.startedAt}`}>
                  <td>{a.attempt}</td>
                  <td>{a.outcome}</td>
                  <td>{a.startedAt}</td>
                  <td>{a.queueWaitMs === null ? '—' : `${a.queueWaitMs} ms`}</td>
                  <td>{a.durationMs} ms</td>
                  <td>{a.workerId ?? '—'}</td>
                  <td>
                    {a.error ? (
                      <details>
                        <summary className="error-text">{a.error.message}</summary>
                        {a.error.stack ? <pre className="code">{a.error.stack}</pre> : null}
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="card">
        <h2>Artifacts</h2>
        {artifacts.data ? <ArtifactList items={artifacts.data.items} /> : <p className="muted">Loading…</p>}
      </div>
      {view.usage ? (
        <div className="card">
          <h2>Usage today</h2>
          <UsageMeter used={view.usage.jobsUsed} remaining={view.usage.jobsRemaining} />
          <p className="muted">
            Iterations used {count(view.usage.iterationsUsed)}
            {view.usage.iterationsRemaining === null ? '' : ` · ${view.usage.iterationsRemaining} per chain`}{' '}
            · resets {time(view.usage.dailyLimitResetsAt)}
          </p>
        </div>
      ) : null}
      <details className="card">
        <summary>Events seen ({timeline.length})</summary>
        <ol className="timeline">
          {timeline.map((event) => (
            <li key={event.id}>
              <time dateTime={event.at}>{new Date(event.at).toLocaleTimeString()}</time>{' '}
              <strong>{event.kind}</strong> {event.status}{' '}
              {event.progress.stage ? `· ${event.progress.stage}` : ''} · {Math.round(event.progress.percent)}
              %
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}

function JobActions({
  job,
  status,
  onChange,
}: {
  job: JobView;
  status: string;
  onChange: (job: JobView) => void;
}) {
  const { client } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const act = async (name: string, action: () => Promise<JobView>) => {
    setBusy(true);
    setError(null);
    try {
      const next = await action();
      onChange(next);
      setNotice(
        name === 'cancel' && next.status === 'running'
          ? 'Cancel requested: the worker is told to stop.'
          : `${name}: done.`,
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const terminal = terminalStatuses.includes(status as JobView['status']);
  return (
    <div>
      <div className="actions">
        {!terminal ? (
          <button
            type="button"
            className="danger"
            disabled={busy || job.cancelRequested}
            onClick={() => act('cancel', () => client.cancel(job.id))}
          >
            {job.cancelRequested ? 'Cancel requested' : 'Cancel job'}
          </button>
        ) : null}
        {status === 'failed' || status === 'cancelled' ? (
          <button type="button" disabled={busy} onClick={() => act('retry', () => client.retry(job.id))}>
            Retry job
          </button>
        ) : null}
        {status === 'awaiting_confirmation' ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => act('confirm', () => client.confirm(job.id))}
          >
            Confirm follow-up
          </button>
        ) : null}
      </div>
      <Notice text={notice} />
      <ErrorNote error={error} />
    </div>
  );
}
