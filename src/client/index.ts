/**
 * The Jobgate client SDK: fetch only, no server imports, so it runs in Node and in
 * browsers. Every non-2xx answer becomes a typed `JobgateApiError`.
 */
import { type ApiErrorCode, JobgateApiError } from './errors.js';
import type {
  ActiveJobView,
  KeyRecordView,
  KeyRole,
  PoolView,
  QueueHistoryView,
  QueueStatsView,
  QueueStatusView,
  TenantView,
  UsageView,
  WarmupView,
  WorkerView,
} from './operator-types.js';
import { type JobListQuery, type JobView, type SubmitRequest, terminalStatuses } from './types.js';

export * from './errors.js';
export * from './live-events.js';
export * from './operator-types.js';
export * from './types.js';

export interface ClientOptions {
  url: string;
  key?: string;
  fetch?: typeof fetch;
}

export class JobgateClient {
  private readonly url: string;
  private readonly key: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.key = options.key;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const allHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.key) allHeaders.authorization = `Bearer ${this.key}`;
    if (body !== undefined) allHeaders['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.url}${path}`, {
        method,
        headers: allHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new JobgateApiError(
        0,
        'JOBGATE_ERR_NETWORK',
        `Cannot reach ${this.url}: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
        ?.error;
      const retryAfter = response.headers.get('retry-after');
      throw new JobgateApiError(
        response.status,
        (error?.code ?? 'JOBGATE_ERR_INTERNAL') as ApiErrorCode,
        error?.message ?? response.statusText,
        error?.details,
        retryAfter ? Number(retryAfter) : null,
      );
    }
    return json as T;
  }

  submit(job: SubmitRequest, options: { idempotencyKey?: string } = {}): Promise<JobView> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.request('POST', '/api/v1/jobs', job, headers);
  }

  submitBatch(jobs: SubmitRequest[]) {
    return this.request<{
      items: Array<{
        status: 'accepted' | 'scheduled' | 'error';
        job?: JobView;
        error?: { code: string; message: string };
      }>;
    }>('POST', '/api/v1/jobs/batch', { jobs });
  }

  get(id: string): Promise<JobView> {
    return this.request('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  list(query: JobListQuery = {}): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.request('GET', `/api/v1/jobs${qs ? `?${qs}` : ''}`);
  }

  cancel(id: string): Promise<JobView> {
    return this.request('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  retry(id: string): Promise<JobView> {
    return this.request('POST', `/api/v1/jobs/${encodeURIComponent(id)}/retry`);
  }

  confirm(id: string): Promise<JobView> {
    return this.request('POST', `/api/v1/jobs/${encodeURIComponent(id)}/confirm`);
  }

  /** Resolves with the job once it is terminal; `onUpdate` sees every change observed. */
  async wait(
    id: string,
    options: { intervalMs?: number; timeoutMs?: number; onUpdate?: (job: JobView) => void } = {},
  ): Promise<JobView> {
    const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
    let last = '';
    for (;;) {
      const job = await this.get(id);
      const seen = `${job.status}:${job.progress.percent}:${job.progress.stage}`;
      if (seen !== last) options.onUpdate?.(job);
      last = seen;
      if (terminalStatuses.includes(job.status)) return job;
      if (Date.now() > deadline)
        throw new JobgateApiError(0, 'JOBGATE_ERR_NETWORK', `Timed out waiting for job ${id}`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
    }
  }

  // ---- queues, workers, keys, tenants (operator views) ------------------------------

  usage(): Promise<UsageView> {
    return this.request('GET', '/api/v1/usage');
  }

  queues(): Promise<{ items: QueueStatusView[] }> {
    return this.request('GET', '/api/v1/queues');
  }

  queueStatus(queue: string): Promise<QueueStatusView> {
    return this.request('GET', `/api/v1/queues/${encodeURIComponent(queue)}/status`);
  }

  queueStats(queue: string): Promise<QueueStatsView> {
    return this.request('GET', `/api/v1/queues/${encodeURIComponent(queue)}/stats`);
  }

  /** The last hour minute by minute, for charts. */
  queueHistory(queue: string): Promise<QueueHistoryView> {
    return this.request('GET', `/api/v1/queues/${encodeURIComponent(queue)}/history`);
  }

  /** Running jobs of a queue with their worker and progress (a tenant sees its own). */
  activeJobs(
    queue: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<{ items: ActiveJobView[]; nextCursor: string | null }> {
    const qs = toQuery(query);
    return this.request('GET', `/api/v1/queues/${encodeURIComponent(queue)}/active${qs}`);
  }

  pauseQueue(queue: string): Promise<{ queue: string; paused: boolean }> {
    return this.request('POST', `/api/v1/queues/${encodeURIComponent(queue)}/pause`);
  }

  resumeQueue(queue: string): Promise<{ queue: string; paused: boolean }> {
    return this.request('POST', `/api/v1/queues/${encodeURIComponent(queue)}/resume`);
  }

  /** Deletes the queue's waiting jobs (admin); answers how many. */
  clearQueue(queue: string): Promise<{ queue: string; cleared: number }> {
    return this.request('POST', `/api/v1/queues/${encodeURIComponent(queue)}/clear`);
  }

  warmup(queue: string): Promise<WarmupView> {
    return this.request('POST', `/api/v1/queues/${encodeURIComponent(queue)}/warmup`);
  }

  pool(queue: string): Promise<PoolView> {
    return this.request('GET', `/api/v1/queues/${encodeURIComponent(queue)}/pool`);
  }

  updatePool(
    queue: string,
    change: { min?: number; max?: number; idleTimeoutSec?: number },
  ): Promise<PoolView> {
    return this.request('PATCH', `/api/v1/queues/${encodeURIComponent(queue)}`, change);
  }

  workers(query: { queue?: string } = {}): Promise<{ items: WorkerView[] }> {
    return this.request('GET', `/api/v1/workers${toQuery(query)}`);
  }

  createKey(request: {
    owner: string;
    role: KeyRole;
    tier: string;
    name?: string;
  }): Promise<{ key: string; record: KeyRecordView }> {
    return this.request('POST', '/api/v1/keys', request);
  }

  listKeys(): Promise<{ items: KeyRecordView[] }> {
    return this.request('GET', '/api/v1/keys');
  }

  revokeKey(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`);
  }

  tenants(): Promise<{ items: TenantView[] }> {
    return this.request('GET', '/api/v1/tenants');
  }

  /** The SSE URL of a job's events, with `?key=` for EventSource (it cannot send headers). */
  jobEventsUrl(id: string): string {
    return `${this.url}/api/v1/jobs/${encodeURIComponent(id)}/events${toQuery({ key: this.key })}`;
  }

  /** The WebSocket URL of /api/v1/ws, for LiveEvents. */
  liveUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/api/v1/ws${toQuery({ key: this.key })}`;
  }
}

function toQuery(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}
