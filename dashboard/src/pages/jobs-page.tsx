/**
 * The jobs table: filters (status, queue, type, owner for admins) kept in the URL,
 * search by id, cursor pagination, rows patched live from the event stream, and bulk
 * cancel/retry of the selected rows. The page is loaded once per filter or page;
 * after that only events change it (admins follow the queues in view, tenants each
 * unfinished job on the page). New jobs are announced, not inserted, so the page a
 * reader is on does not shift under them.
 */
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import {
  isApiError,
  type JobEvent,
  type JobStatus,
  type JobView,
  terminalStatuses,
} from '../../../src/client/index.js';
import { JobBadge } from '../components/badges.js';
import { shortId, time } from '../components/format.js';
import { ErrorNote, errorText, Notice } from '../components/notice.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useJobEvents, useQueueEvents } from '../hooks/use-live.js';
import { usePoll } from '../hooks/use-poll.js';
import { links, navigate } from '../router.js';
import { useSession } from '../session-context.js';

const statuses: JobStatus[] = [
  'queued',
  'running',
  'scheduled',
  'awaiting_confirmation',
  'completed',
  'failed',
  'cancelled',
];
const pageSize = 50;
const bulkParallel = 4;

interface Filters {
  status?: JobStatus;
  queue?: string;
  type?: string;
  owner?: string;
}

function filtersOf(query: URLSearchParams, admin: boolean): Filters {
  const status = query.get('status');
  return {
    status: statuses.includes(status as JobStatus) ? (status as JobStatus) : undefined,
    queue: query.get('queue') || undefined,
    type: query.get('type') || undefined,
    owner: admin ? query.get('owner') || undefined : undefined,
  };
}

export function JobsPage({ query }: { query: URLSearchParams }) {
  const { client, role } = useSession();
  const admin = role === 'admin';
  const filters = useMemo(() => filtersOf(query, admin), [query, admin]);
  const filterKey = JSON.stringify(filters);
  const [cursors, setCursors] = useState<string[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts at the first page.
  useEffect(() => setCursors([]), [filterKey]);
  const cursor = cursors.at(-1);
  const page = usePoll(() => client.list({ ...filters, limit: pageSize, cursor }), null, [
    client,
    filterKey,
    cursor,
  ]);
  const queueList = usePoll(() => client.queues(), null, [client]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [fresh, setFresh] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [bulkError, setBulkError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new page clears the selection and the banner.
  useEffect(() => {
    setSelected(new Set());
    setFresh(0);
  }, [filterKey, cursor]);

  const rows = page.data?.items ?? [];
  const rowIds = rows.map((job) => job.id).join(',');
  // Re-read as rows change (a job finishing may have stored files meanwhile).
  const artifactCounts = usePoll(() => client.artifactCounts(rowIds ? rowIds.split(',') : []), null, [
    client,
    rowIds,
    rows.filter((job) => job.status === 'completed').length,
  ]);
  const onEvent = (event: JobEvent) => {
    if (event.kind === 'created') {
      const matches =
        cursor === undefined &&
        (!filters.queue || filters.queue === event.queue) &&
        (!filters.status || filters.status === event.status) &&
        !rows.some((row) => row.id === event.jobId);
      if (matches) setFresh((n) => n + 1);
      return;
    }
    page.setData((current) =>
      current
        ? {
            ...current,
            items: current.items.map((job) =>
              job.id === event.jobId ? { ...job, status: event.status, progress: event.progress } : job,
            ),
          }
        : current,
    );
  };
  const queuesInView = filters.queue ? [filters.queue] : (queueList.data?.items.map((q) => q.queue) ?? []);
  useQueueEvents(queuesInView, onEvent, admin);
  useJobEvents(
    rows.filter((job) => !terminalStatuses.includes(job.status)).map((job) => job.id),
    onEvent,
    !admin,
  );

  const apply = (next: Filters) => navigate(links.jobs({ ...next }));
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = rows.length > 0 && rows.every((job) => selected.has(job.id));

  const bulk = async (action: 'cancel' | 'retry') => {
    const ids = [...selected];
    setBusy(true);
    setBulkError(null);
    const failures: string[] = [];
    const updated = new Map<string, JobView>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          updated.set(id, action === 'cancel' ? await client.cancel(id) : await client.retry(id));
        } catch (error) {
          failures.push(`${shortId(id)}: ${isApiError(error) ? error.message : errorText(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(bulkParallel, ids.length) }, worker));
    page.setData((current) =>
      current ? { ...current, items: current.items.map((job) => updated.get(job.id) ?? job) } : current,
    );
    setSelected(new Set());
    setBusy(false);
    const verb = action === 'cancel' ? 'Cancelled' : 'Retried';
    setNotice(`${verb} ${updated.size} of ${ids.length} job${ids.length === 1 ? '' : 's'}.`);
    if (failures.length > 0)
      setBulkError(new Error(`Not ${action === 'cancel' ? 'cancelled' : 'retried'}: ${failures.join('; ')}`));
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <div className="toolbar">
        <FilterForm
          filters={filters}
          admin={admin}
          queues={queueList.data?.items.map((q) => q.queue) ?? []}
          onApply={apply}
        />
        <SearchById />
      </div>
      <div className="actions bulk">
        <span className="muted">{selected.size} selected</span>
        <button type="button" disabled={busy || selected.size === 0} onClick={() => bulk('cancel')}>
          Cancel selected
        </button>
        <button type="button" disabled={busy || selected.size === 0} onClick={() => bulk('retry')}>
          Retry selected
        </button>
        {fresh > 0 ? (
          <button type="button" className="primary" onClick={() => page.reload()}>
            Show {fresh} new job{fresh === 1 ? '' : 's'}
          </button>
        ) : null}
      </div>
      <Notice text={notice} />
      <ErrorNote error={bulkError} />
      <ErrorNote error={page.error} />
      <div className="table-wrap">
        <table className="jobs-table">
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select every job on this page"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((job) => job.id)))}
                />
              </th>
              <th scope="col">Job</th>
              <th scope="col">Queue</th>
              <th scope="col">Type</th>
              {admin ? <th scope="col">Owner</th> : null}
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Attempts</th>
              <th scope="col">Files</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((job) => (
              <tr key={job.id} data-job-id={job.id} data-status={job.status}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select job ${job.id}`}
                    checked={selected.has(job.id)}
                    onChange={() => toggle(job.id)}
                  />
                </td>
                <td>
                  <a href={links.job(job.id)} title={job.id}>
                    {shortId(job.id)}
                  </a>
                </td>
                <td>
                  <a href={links.queue(job.queue)}>{job.queue}</a>
                </td>
                <td>{job.type}</td>
                {admin ? <td>{job.owner}</td> : null}
                <td>
                  <JobBadge status={job.status} />
                </td>
                <td className="progress-cell">
                  {job.status === 'running' || job.progress.percent > 0 ? (
                    <ProgressBar
                      percent={job.progress.percent}
                      stage={job.progress.stage}
                      label={`Progress of job ${job.id}`}
                      status={job.status}
                    />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {job.attempts}/{job.maxAttempts}
                </td>
                <td aria-label="Artifacts">{artifactCounts.data?.[job.id] ?? '—'}</td>
                <td>{time(job.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.data && rows.length === 0 ? <p className="muted">No job matches.</p> : null}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Newer
        </button>
        <span className="muted">Page {cursors.length + 1}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            const nextCursor = page.data?.nextCursor;
            if (nextCursor) setCursors((c) => [...c, nextCursor]);
          }}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

function FilterForm({
  filters,
  admin,
  queues,
  onApply,
}: {
  filters: Filters;
  admin: boolean;
  queues: string[];
  onApply: (filters: Filters) => void;
}) {
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const set = (field: keyof Filters, value: string) =>
    setDraft((current) => ({ ...current, [field]: value || undefined }));
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter jobs">
      <label>
        Status
        <select
          value={draft.status ?? ''}
          onChange={(event) =>
            onApply({ ...draft, status: (event.target.value || undefined) as JobStatus | undefined })
          }
        >
          <option value="">any</option>
          {statuses.map((status) => (
            <option key={status} value={status}>
              {status.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <label>
        Queue
        <select
          value={draft.queue ?? ''}
          onChange={(event) => onApply({ ...draft, queue: event.target.value || undefined })}
        >
          <option value="">any</option>
          {[...new Set([...queues, ...(draft.queue ? [draft.queue] : [])])].map((queue) => (
            <option key={queue} value={queue}>
              {queue}
            </option>
          ))}
        </select>
      </label>
      <label>
        Type
        <input
          value={draft.type ?? ''}
          onChange={(event) => set('type', event.target.value)}
          placeholder="any"
        />
      </label>
      {admin ? (
        <label>
          Owner
          <input
            value={draft.owner ?? ''}
            onChange={(event) => set('owner', event.target.value)}
            placeholder="any"
          />
        </label>
      ) : null}
      <button type="submit">Filter</button>
    </form>
  );
}

function SearchById() {
  const { client } = useSession();
  const [id, setId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = id.trim();
    if (!wanted) return;
    // The short id the list shows is a prefix: the list finds it (a full id too).
    try {
      const { items } = await client.list({ id: wanted, limit: 2 });
      if (items.length === 1) navigate(links.job(items[0]!.id));
      else setError(items.length === 0 ? `No job ${wanted}.` : `More than one job starts with ${wanted}.`);
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  return (
    <search>
      <form className="search" onSubmit={submit} aria-label="Find a job by id">
        <label>
          Job id
          <input value={id} onChange={(event) => setId(event.target.value)} spellCheck={false} />
        </label>
        <button type="submit">Find</button>
        {error ? (
          <span className="note error" role="alert">
            {error}
          </span>
        ) : null}
      </form>
    </search>
  );
}
