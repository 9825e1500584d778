/**
 * The Jobgate client SDK: fetch only, no server imports, so it runs in Node and in
 * browsers. Every non-2xx answer becomes a typed `JobgateApiError`.
 */
import { type ApiErrorCode, JobgateApiError } from './errors.js';
import { type FollowOptions, followJob, isFinalEvent } from './job-stream.js';
import type {
  ActiveJobView,
  JobEvent,
  KeyRecordView,
  KeyRole,
  PoolView,
  QueueHistoryView,
  QueuePolicyChange,
  QueuePolicyView,
  QueueStatsView,
  QueueStatusView,
  ScheduleChange,
  ScheduleView,
  TenantView,
  UsageView,
  WarmupView,
  WorkerView,
} from './operator-types.js';
import {
  type ArtifactView,
  type JobListQuery,
  type JobView,
  type SubmitRequest,
  terminalStatuses,
} from './types.js';
import type { WebhookDeliveryView, WebhookInput, WebhookSubscriptionView } from './webhook-types.js';

export * from './errors.js';
export { type FollowOptions, isFinalEvent, parseSse, type SseMessage } from './job-stream.js';
export * from './live-events.js';
export * from './operator-types.js';
export * from './types.js';
export { describeWait, waitSeconds } from './wait-text.js';
export * from './webhook-types.js';

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
    if (!response.ok) throw await apiError(response);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * `wait` (seconds, at most 30): the server holds the answer until the job ends and
   * answers it finished (result or error), or as it stands when the wait runs out.
   */
  submit(job: SubmitRequest, options: { idempotencyKey?: string; wait?: number } = {}): Promise<JobView> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    const query = options.wait ? `?wait=${Math.max(0, Math.round(options.wait))}` : '';
    return this.request('POST', `/api/v1/jobs${query}`, job, headers);
  }

  /**
   * Up to 1,000 jobs, one result per item. An item's `idempotencyKey` dedupes it; with
   * `options.idempotencyKey`, items without their own key are keyed `<key>:<index>`, so
   * the same batch sent again makes no job twice (those items answer `duplicate: true`).
   */
  submitBatch(
    jobs: Array<SubmitRequest & { idempotencyKey?: string }>,
    options: { idempotencyKey?: string } = {},
  ) {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.request<{
      items: Array<{
        status: 'accepted' | 'scheduled' | 'error';
        job?: JobView;
        duplicate?: boolean;
        error?: { code: string; message: string; details?: unknown };
      }>;
    }>('POST', '/api/v1/jobs/batch', { jobs }, headers);
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

  /** The job's artifacts, each with a signed download link. */
  artifacts(id: string): Promise<{ items: ArtifactView[] }> {
    return this.request('GET', `/api/v1/jobs/${encodeURIComponent(id)}/artifacts`);
  }

  /** How many artifacts each of these jobs has (jobs with none, or not yours, are left out). */
  async artifactCounts(ids: string[]): Promise<Record<string, number>> {
    if (ids.length === 0) return {};
    const query = new URLSearchParams({ ids: ids.join(',') });
    return (await this.request<{ counts: Record<string, number> }>('GET', `/api/v1/artifact-counts?${query}`))
      .counts;
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

  /**
   * A job's live events (Server-Sent Events): its current state first (kind
   * `snapshot`), then every transition and progress update, ending after its final
   * event. A dropped connection is resumed from the last event id.
   */
  events(id: string, options: FollowOptions = {}): AsyncGenerator<JobEvent> {
    const headers: Record<string, string> = this.key ? { authorization: `Bearer ${this.key}` } : {};
    return followJob(
      {
        url: `${this.url}/api/v1/jobs/${encodeURIComponent(id)}/events`,
        headers,
        fetch: this.fetchImpl,
        toError: apiError,
      },
      options,
    );
  }

  /**
   * Resolves with the job once it is terminal; `onUpdate` sees every change observed.
   * Follows the job's event stream, and polls every `intervalMs` instead when the
   * stream cannot be had (an older server, a proxy that buffers it).
   */
  async wait(
    id: string,
    options: { intervalMs?: number; timeoutMs?: number; onUpdate?: (job: JobView) => void } = {},
  ): Promise<JobView> {
    const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
    let view = await this.get(id);
    let last = '';
    const report = (job: JobView) => {
      const seen = `${job.status}:${job.progress.percent}:${job.progress.stage}:${job.progress.message}`;
      if (seen !== last) options.onUpdate?.(job);
      last = seen;
    };
    report(view);
    if (terminalStatuses.includes(view.status)) return view;
    const timeout = new AbortController();
    const timer = Number.isFinite(deadline) ? setTimeout(() => timeout.abort(), deadline - Date.now()) : null;
    try {
      for await (const event of this.events(id, { signal: timeout.signal })) {
        view = { ...view, status: event.status, progress: event.progress };
        if (isFinalEvent(event)) break;
        report(view);
      }
      // The final read carries what events do not: the result or the error.
      const final = await this.get(id);
      report(final);
      return final;
    } catch (error) {
      if (timeout.signal.aborted) throw timedOut(id);
      // The job is gone or not ours, the key is refused: polling would say the same. A server
      // without the stream route (404 NOT_FOUND), a 5xx or a network failure: poll instead.
      if (isRefusal(error)) throw error;
      return this.poll(id, deadline, options.intervalMs ?? 250, report);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async poll(
    id: string,
    deadline: number,
    intervalMs: number,
    report: (job: JobView) => void,
  ): Promise<JobView> {
    for (;;) {
      const job = await this.get(id);
      report(job);
      if (terminalStatuses.includes(job.status)) return job;
      if (Date.now() > deadline) throw timedOut(id);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
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

  /** Every queue's pool; queues without one are not listed. */
  pools(): Promise<{ items: PoolView[] }> {
    return this.request('GET', '/api/v1/pools');
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

  /** Changes a queue's stored policy (admin); answers the effective policy. */
  updateQueuePolicy(
    queue: string,
    change: QueuePolicyChange,
  ): Promise<{ queue: string; policy: QueuePolicyView }> {
    return this.request('PATCH', `/api/v1/queues/${encodeURIComponent(queue)}`, change);
  }

  schedules(): Promise<{ items: ScheduleView[] }> {
    return this.request('GET', '/api/v1/schedules');
  }

  schedule(name: string): Promise<ScheduleView> {
    return this.request('GET', `/api/v1/schedules/${encodeURIComponent(name)}`);
  }

  createSchedule(
    schedule: ScheduleChange & { name: string; cron: string; queue: string },
  ): Promise<ScheduleView> {
    return this.request('POST', '/api/v1/schedules', schedule);
  }

  updateSchedule(name: string, change: ScheduleChange): Promise<ScheduleView> {
    return this.request('PATCH', `/api/v1/schedules/${encodeURIComponent(name)}`, change);
  }

  pauseSchedule(name: string): Promise<ScheduleView> {
    return this.request('POST', `/api/v1/schedules/${encodeURIComponent(name)}/pause`);
  }

  resumeSchedule(name: string): Promise<ScheduleView> {
    return this.request('POST', `/api/v1/schedules/${encodeURIComponent(name)}/resume`);
  }

  /** One job now, outside the cron. */
  runSchedule(name: string): Promise<{ jobId: string; schedule: ScheduleView }> {
    return this.request('POST', `/api/v1/schedules/${encodeURIComponent(name)}/run`);
  }

  deleteSchedule(name: string): Promise<void> {
    return this.request('DELETE', `/api/v1/schedules/${encodeURIComponent(name)}`);
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

  /** `force`: also a pool key of a server that is gone (409 without it). */
  revokeKey(id: string, options: { force?: boolean } = {}): Promise<void> {
    return this.request(
      'DELETE',
      `/api/v1/keys/${encodeURIComponent(id)}${options.force ? '?force=true' : ''}`,
    );
  }

  tenants(): Promise<{ items: TenantView[] }> {
    return this.request('GET', '/api/v1/tenants');
  }

  /** A webhook subscription; `secret` (whsec_…) is shown in this answer only. */
  createWebhook(input: WebhookInput): Promise<{ subscription: WebhookSubscriptionView; secret: string }> {
    return this.request('POST', '/api/v1/webhooks', input);
  }

  listWebhooks(): Promise<{ items: WebhookSubscriptionView[] }> {
    return this.request('GET', '/api/v1/webhooks');
  }

  /** `{enabled: true}` re-enables a disabled subscription; `{rotateSecret: true}` answers a new secret. */
  updateWebhook(
    id: string,
    patch: WebhookInput & { rotateSecret?: boolean; secretOverlapSec?: number },
  ): Promise<{ subscription: WebhookSubscriptionView; secret: string | null }> {
    return this.request('PATCH', `/api/v1/webhooks/${encodeURIComponent(id)}`, patch);
  }

  deleteWebhook(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`);
  }

  webhookDeliveries(
    id: string,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
    return this.request('GET', `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries${toQuery(page)}`);
  }

  redeliverWebhook(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    return this.request(
      'POST',
      `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
    );
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

const isRefusal = (error: unknown) =>
  error instanceof JobgateApiError &&
  error.status >= 400 &&
  error.status < 500 &&
  error.code !== 'JOBGATE_ERR_NOT_FOUND';

const timedOut = (id: string) =>
  new JobgateApiError(0, 'JOBGATE_ERR_NETWORK', `Timed out waiting for job ${id}`);

/** A non-2xx answer as the SDK's typed error. */
async function apiError(response: Response): Promise<JobgateApiError> {
  const text = await response.text().catch(() => '');
  let body: { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const retryAfter = response.headers.get('retry-after');
  return new JobgateApiError(
    response.status,
    (body?.error?.code ?? 'JOBGATE_ERR_INTERNAL') as ApiErrorCode,
    body?.error?.message ?? response.statusText,
    body?.error?.details,
    retryAfter ? Number(retryAfter) : null,
  );
}
