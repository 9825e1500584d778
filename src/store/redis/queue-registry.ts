/**
 * Dynamic queues on Redis (store/queue-registry.ts): the records live in the global slot
 * (dynamic_queue.lua, one script per change); forgetting a queue is a script in its own
 * shard (forget_queue.lua: drop the settings when no job is left) and then its removal
 * from the queue registry set, which sits in another slot.
 *
 * The two steps cannot be one on Redis Cluster, so the removal is checked afterwards: a
 * job admitted between them (its admission re-adds the queue only on a server that had
 * not seen it) is found by a second count, and the queue goes back on the set. A server
 * that admitted to the queue before also re-adds it at its next sweep (see
 * RedisStore.sweep), so no job is left outside the sweeps for longer than a tick.
 */
import type { Cluster, Redis } from 'ioredis';
import { JOB_STATUSES } from '../../domain/job-states.js';
import type { DynamicQueueOutcome, DynamicQueueRecord, QueueRegistryStore } from '../queue-registry.js';
import type { ScriptName } from './generated/scripts.js';

export interface RedisQueueRegistryHost {
  redis: Redis | Cluster;
  run(name: ScriptName, base: string, ...args: Array<string | number>): Promise<unknown>;
  globalBase: string;
  queuesKey: string;
  queueBase(queue: string): string;
  /** This process stops re-adding the queue to the set (RedisStore.knownQueues). */
  dropKnown(queue: string): void;
  /** Jobs of the queue in every status. */
  jobsIn(queue: string): Promise<number>;
}

const outcomes = new Set<DynamicQueueOutcome>(['created', 'known', 'total_limit', 'owner_limit']);

export class RedisQueueRegistry implements QueueRegistryStore {
  constructor(private readonly host: RedisQueueRegistryHost) {}

  async recordDynamicQueue(request: {
    queue: string;
    owner: string;
    maxTotal: number | null;
    maxPerOwner: number | null;
  }): Promise<DynamicQueueOutcome> {
    const reply = String(
      await this.host.run(
        'dynamicQueue',
        this.host.globalBase,
        'use',
        request.queue,
        request.owner,
        request.maxTotal ?? '',
        request.maxPerOwner ?? '',
      ),
    ) as DynamicQueueOutcome;
    if (!outcomes.has(reply)) throw new Error(`Unknown dynamicQueue reply ${reply}`);
    return reply;
  }

  async idleDynamicQueues({ idleBefore, limit }: { idleBefore: number; limit: number }): Promise<string[]> {
    return this.host.redis.zrangebyscore(
      `${this.host.globalBase}:dqu`,
      '-inf',
      `(${idleBefore}`,
      'LIMIT',
      0,
      limit,
    );
  }

  async retireDynamicQueue({ queue, idleBefore }: { queue: string; idleBefore: number }): Promise<boolean> {
    return (
      Number(await this.host.run('dynamicQueue', this.host.globalBase, 'retire', queue, idleBefore)) === 1
    );
  }

  async listDynamicQueues(): Promise<DynamicQueueRecord[]> {
    const [records, used] = await Promise.all([
      this.host.redis.hgetall(`${this.host.globalBase}:dq`),
      this.host.redis.zrange(`${this.host.globalBase}:dqu`, 0, -1, 'WITHSCORES'),
    ]);
    const lastUsed = new Map<string, number>();
    for (let i = 0; i + 1 < used.length; i += 2) lastUsed.set(used[i]!, Number(used[i + 1]));
    return Object.entries(records)
      .map(([queue, record]) => {
        const bar = record.indexOf('|');
        const createdAt = Number(record.slice(0, bar));
        return {
          queue,
          owner: record.slice(bar + 1),
          createdAt,
          lastUsedAt: lastUsed.get(queue) ?? createdAt,
        };
      })
      .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  }

  async forgetQueue(queue: string): Promise<boolean> {
    const emptied = await this.host.run('forgetQueue', this.host.queueBase(queue), queue, ...JOB_STATUSES);
    if (Number(emptied) !== 1) return false;
    this.host.dropKnown(queue);
    await this.host.redis.srem(this.host.queuesKey, queue);
    if ((await this.host.jobsIn(queue)) === 0) return true;
    await this.host.redis.sadd(this.host.queuesKey, queue);
    return false;
  }
}
