/**
 * Cron schedules (a tenant: its own): the cron and time zone, the next runs, the last
 * run with its job's status, and Pause/Resume and Run now buttons. Polled every 5 s.
 */
import type { ScheduleView } from '../../../src/client/index.js';
import { JobBadge } from '../components/badges.js';
import { shortId, time } from '../components/format.js';
import { ErrorNote, Notice } from '../components/notice.js';
import { useAction } from '../hooks/use-action.js';
import { usePoll } from '../hooks/use-poll.js';
import { links } from '../router.js';
import { useSession } from '../session-context.js';

function ScheduleRow({
  schedule,
  onToggle,
  onRun,
}: {
  schedule: ScheduleView;
  onToggle: () => void;
  onRun: () => void;
}) {
  const { lastRun } = schedule;
  return (
    <tr data-schedule={schedule.name} data-enabled={String(schedule.enabled)}>
      <th scope="row">{schedule.name}</th>
      <td>
        <code>{schedule.cron}</code>
        <div className="muted small">{schedule.timezone}</div>
      </td>
      <td>
        <a href={links.queue(schedule.queue)}>{schedule.queue}</a>
      </td>
      <td>{schedule.owner}</td>
      <td>
        {schedule.enabled ? (
          <ol className="plain small" aria-label={`Next runs of ${schedule.name}`}>
            {schedule.nextRuns.slice(0, 3).map((run) => (
              <li key={run}>{time(run)}</li>
            ))}
          </ol>
        ) : (
          <span className="badge">paused</span>
        )}
      </td>
      <td data-last-run={lastRun?.jobId ?? ''}>
        {lastRun ? (
          <>
            <a href={links.job(lastRun.jobId)}>{shortId(lastRun.jobId)}</a>{' '}
            {lastRun.status ? <JobBadge status={lastRun.status} /> : <span className="muted">purged</span>}
            <div className="muted small">{time(lastRun.at)}</div>
          </>
        ) : (
          '—'
        )}
      </td>
      <td className="actions">
        <button
          type="button"
          onClick={onToggle}
          aria-label={`${schedule.enabled ? 'Pause' : 'Resume'} ${schedule.name}`}
        >
          {schedule.enabled ? 'Pause' : 'Resume'}
        </button>{' '}
        <button type="button" onClick={onRun} aria-label={`Run ${schedule.name} now`}>
          Run now
        </button>
      </td>
    </tr>
  );
}

export function SchedulesPage() {
  const { client } = useSession();
  const schedules = usePoll(() => client.schedules(), 5_000, [client]);
  const { notice, failure, act } = useAction(() => schedules.reload());

  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <ErrorNote error={schedules.error ?? failure} />
      <Notice text={notice} />
      {schedules.data && schedules.data.items.length === 0 ? (
        <p className="muted">
          No schedule yet: add one under <code>schedules</code> in the config file or with{' '}
          <code>POST /api/v1/schedules</code>.
        </p>
      ) : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Cron</th>
              <th scope="col">Queue</th>
              <th scope="col">Owner</th>
              <th scope="col">Next runs</th>
              <th scope="col">Last run</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {schedules.data?.items.map((schedule) => (
              <ScheduleRow
                key={schedule.name}
                schedule={schedule}
                onToggle={() =>
                  act(
                    () =>
                      schedule.enabled
                        ? client.pauseSchedule(schedule.name)
                        : client.resumeSchedule(schedule.name),
                    `${schedule.enabled ? 'Paused' : 'Resumed'} ${schedule.name}`,
                  )
                }
                onRun={() =>
                  act(() => client.runSchedule(schedule.name), `Started a run of ${schedule.name}`)
                }
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
