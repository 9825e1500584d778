/**
 * Which queues exist, and which a submit may create. A queue exists when the
 * configuration names it (the engine is told through configureQueue), when a submit
 * created it (the store's dynamic-queue registry), or when the store holds jobs of it.
 *
 * A submit to a queue the configuration does not name creates it, unless
 * `allowUnknown` is false (404 JOBGATE_ERR_QUEUE_NOT_FOUND). Created queues are capped
 * server-wide (`maxUnknown`) and per owner (`maxUnknownPerOwner`, admins exempt):
 * past a cap, 409 JOBGATE_ERR_QUEUE_LIMIT_REACHED. One left idle for `retireAfterMs`
 * with no job in any status is retired: forgotten by the store, gone from every list,
 * the sweeps and /metrics — the bound that keeps a tenant from costing the server
 * anything by inventing names.
 *
 * Uses are written to the store at most once per `touchMs` per queue and server (the
 * retirement's idle bound is far longer), so a busy queue costs no extra store call.
 */
import { JobgateError } from '../domain/errors.js';
import type { JobStore } from '../store/store.js';
import type { Principal } from './principal.js';

export interface QueuePolicy {
  allowUnknown: boolean;
  /** Queues submits may create, server-wide; null = no cap. */
  maxUnknown: number | null;
  /** Queues one owner's submits may create; null = no cap. */
  maxUnknownPerOwner: number | null;
  /** An unused, empty created queue is retired after this long; null = never. */
  retireAfterMs: number | null;
}

export const queuePolicyDefault: QueuePolicy = {
  allowUnknown: true,
  maxUnknown: null,
  maxUnknownPerOwner: null,
  retireAfterMs: null,
};

const touchMsDefault = 60_000;
export const retireBatch = 100;

export class QueueCatalog {
  private readonly configured = new Set<string>();
  /** Created queues this server used lately → when it last told the store. */
  private readonly touched = new Map<string, number>();
  private readonly retiredListeners = new Set<(queue: string) => void>();

  constructor(
    private readonly store: JobStore,
    readonly policy: QueuePolicy = queuePolicyDefault,
    private readonly touchMs = touchMsDefault,
  ) {}

  /** Called with each queue this server retires (metrics drop its series); returns the unsubscribe. */
  onRetired(listener: (queue: string) => void): () => void {
    this.retiredListeners.add(listener);
    return () => this.retiredListeners.delete(listener);
  }

  addConfigured(queue: string): void {
    this.configured.add(queue);
  }

  isConfigured(queue: string): boolean {
    return this.configured.has(queue);
  }

  /** True when the queue is configured, was created by a submit, or holds jobs. */
  async exists(queue: string): Promise<boolean> {
    if (this.configured.has(queue) || this.touched.has(queue)) return true;
    const [listed, created] = await Promise.all([
      this.store.queues(),
      this.store.queueRegistry.listDynamicQueues(),
    ]);
    return listed.includes(queue) || created.some((record) => record.queue === queue);
  }

  async mustExist(queue: string): Promise<void> {
    if (!(await this.exists(queue)))
      throw new JobgateError('JOBGATE_ERR_QUEUE_NOT_FOUND', `No queue ${queue}`, { details: { queue } });
  }

  /**
   * For each distinct queue of a submit: null when the submit may go in, else its error.
   * Queues are settled one at a time, so one owner's batch stops at its cap.
   */
  async admit(queues: Iterable<string>, principal: Principal): Promise<Map<string, JobgateError | null>> {
    const verdicts = new Map<string, JobgateError | null>();
    for (const queue of queues) {
      if (verdicts.has(queue)) continue;
      verdicts.set(queue, await this.admitOne(queue, principal));
    }
    return verdicts;
  }

  private async admitOne(queue: string, principal: Principal): Promise<JobgateError | null> {
    if (this.configured.has(queue)) return null;
    if (!this.policy.allowUnknown)
      return new JobgateError(
        'JOBGATE_ERR_QUEUE_NOT_FOUND',
        `No queue ${queue}: this server takes jobs for its configured queues only`,
        { details: { queue } },
      );
    const now = Date.now();
    const last = this.touched.get(queue);
    if (last !== undefined && now - last < this.touchMs) return null;
    const outcome = await this.store.queueRegistry.recordDynamicQueue({
      queue,
      owner: principal.owner,
      maxTotal: this.policy.maxUnknown,
      maxPerOwner: principal.role === 'admin' ? null : this.policy.maxUnknownPerOwner,
    });
    if (outcome === 'created' || outcome === 'known') {
      this.touched.set(queue, now);
      return null;
    }
    const limit = outcome === 'total_limit' ? this.policy.maxUnknown : this.policy.maxUnknownPerOwner;
    return new JobgateError(
      'JOBGATE_ERR_QUEUE_LIMIT_REACHED',
      outcome === 'total_limit'
        ? `No queue ${queue}, and this server holds its ${limit} queues made by submits: use a configured queue`
        : `No queue ${queue}, and your submits made ${limit} queues already: use one of them or a configured queue`,
      { details: { queue, limit, scope: outcome === 'total_limit' ? 'server' : 'owner' } },
    );
  }

  /** One pass of the retirer: returns how many queues it retired. */
  async retireIdle(): Promise<number> {
    const { retireAfterMs } = this.policy;
    if (retireAfterMs === null) return 0;
    const idleBefore = (await this.store.now()) - retireAfterMs;
    let retired = 0;
    for (const queue of await this.store.queueRegistry.idleDynamicQueues({
      idleBefore,
      limit: retireBatch,
    })) {
      const counts = await this.store.counts(queue);
      if (Object.values(counts).some((n) => n > 0)) continue;
      if (!(await this.store.queueRegistry.retireDynamicQueue({ queue, idleBefore }))) continue;
      this.touched.delete(queue);
      await this.store.queueRegistry.forgetQueue(queue);
      for (const listener of this.retiredListeners) listener(queue);
      retired++;
    }
    return retired;
  }
}
