/**
 * Queue policies as the engine applies them: read from the store and kept for
 * `refreshMs`, so a submit does not wait on a read. A change made on this server applies
 * at once; one made on another server within `refreshMs` (a stale entry is answered while
 * it is read again in the background).
 */
import { JobgateError } from '../../domain/errors.js';
import { PRIORITY_DEFAULT } from '../../domain/job.js';
import {
  type BackoffPolicy,
  QUEUE_POLICY_FIELDS,
  type QueuePolicy,
  type QueuePolicyPatch,
  retryPolicyOf,
} from '../../domain/queue-policy.js';
import type { RetryPolicy } from '../../domain/retry-policy.js';
import type { JobStore } from '../../store/store.js';
import { maxAttemptsMax, timeoutMsMax } from '../submit-input.js';

export const policyRefreshMsDefault = 1_000;

/** What a queue's jobs get when their submit leaves a field out, and how they back off. */
export interface EffectivePolicy {
  timeoutMs: number | null;
  maxAttempts: number;
  priority: number;
  backoff: Required<BackoffPolicy>;
  /** The queue's admission cap (its settings in the store); null = none. */
  maxQueued: number | null;
  /** The fields the queue's policy sets (the rest are the server's defaults). */
  set: Array<keyof QueuePolicy>;
}

interface Entry {
  policy: QueuePolicy;
  readAt: number;
  reading: Promise<QueuePolicy> | null;
}

const invalid = (field: string, message: string) =>
  new JobgateError('JOBGATE_ERR_VALIDATION', `${field} ${message}`, { details: { field } });

function checkInt(field: string, value: unknown, min: number, max: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `must be an integer in [${min}, ${max}]`);
}

/** Throws a validation error naming the field when the patch is not valid. */
export function checkPolicyPatch(patch: QueuePolicyPatch): QueuePolicyPatch {
  for (const field of Object.keys(patch))
    if (!(QUEUE_POLICY_FIELDS as readonly string[]).includes(field))
      throw invalid(field, 'is not a policy field');
  checkInt('timeoutMs', patch.timeoutMs, 1, timeoutMsMax);
  checkInt('maxAttempts', patch.maxAttempts, 1, maxAttemptsMax);
  checkInt('priority', patch.priority, 1, 10);
  const backoff = patch.backoff;
  if (backoff !== undefined && backoff !== null) {
    if (backoff.type !== 'exponential' && backoff.type !== 'fixed')
      throw invalid('backoff.type', 'must be exponential or fixed');
    checkInt('backoff.baseMs', backoff.baseMs, 0, timeoutMsMax);
    if (backoff.baseMs === undefined) throw invalid('backoff.baseMs', 'is required');
    checkInt('backoff.capMs', backoff.capMs, backoff.baseMs, timeoutMsMax);
    if (backoff.jitter !== undefined && !(backoff.jitter >= 0 && backoff.jitter <= 1))
      throw invalid('backoff.jitter', 'must be within [0, 1]');
  }
  return patch;
}

export class QueuePolicies {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: JobStore,
    private readonly server: { retry: RetryPolicy; maxAttempts: number },
    private readonly refreshMs = policyRefreshMsDefault,
  ) {}

  /** The queue's stored policy, from the cache when it is there (refreshed in the background when stale). */
  async of(queue: string): Promise<QueuePolicy> {
    const entry = this.entries.get(queue);
    if (!entry) return this.read(queue);
    if (Date.now() - entry.readAt > this.refreshMs && !entry.reading) this.read(queue).catch(() => {}); // the stale value serves meanwhile
    return entry.policy;
  }

  private read(queue: string): Promise<QueuePolicy> {
    const entry = this.entries.get(queue);
    if (entry?.reading) return entry.reading;
    const reading = this.store.queuePolicies.getQueuePolicy(queue).then(
      (policy) => {
        this.entries.set(queue, { policy, readAt: Date.now(), reading: null });
        return policy;
      },
      (error: unknown) => {
        const current = this.entries.get(queue);
        if (current) current.reading = null;
        throw error;
      },
    );
    if (entry) entry.reading = reading;
    return reading;
  }

  async patch(queue: string, patch: QueuePolicyPatch): Promise<QueuePolicy> {
    const policy = await this.store.queuePolicies.patchQueuePolicy({ queue, patch: checkPolicyPatch(patch) });
    this.entries.set(queue, { policy, readAt: Date.now(), reading: null });
    return policy;
  }

  /** Retry timing of a failed attempt of the queue's job. */
  async retryPolicy(queue: string): Promise<RetryPolicy> {
    return retryPolicyOf((await this.of(queue)).backoff, this.server.retry);
  }

  effective(policy: QueuePolicy, maxQueued: number | null): EffectivePolicy {
    const retry = retryPolicyOf(policy.backoff, this.server.retry);
    return {
      timeoutMs: policy.timeoutMs ?? null,
      maxAttempts: policy.maxAttempts ?? this.server.maxAttempts,
      priority: policy.priority ?? PRIORITY_DEFAULT,
      backoff: {
        type: policy.backoff?.type ?? (retry.factor === 1 ? 'fixed' : 'exponential'),
        baseMs: retry.baseDelayMs,
        capMs: retry.maxDelayMs,
        jitter: retry.jitter,
      },
      maxQueued,
      set: QUEUE_POLICY_FIELDS.filter((field) => policy[field] !== undefined),
    };
  }
}
