/**
 * Queue policies on Redis (store/queue-policy-store.ts), in the settings slot
 * `<prefix>:{s}` beside the schedules: a hash per queue `<base>:policy:<queue>` (one
 * JSON value per field) and the set of queues that have one, `<base>:policies`. A patch
 * is one MULTI in that slot, so it is atomic and answers the policy as it then is.
 */
import type { Cluster, Redis } from 'ioredis';
import { QUEUE_POLICY_FIELDS, type QueuePolicy, type QueuePolicyPatch } from '../../domain/queue-policy.js';
import { policyFromFields, type QueuePolicyStore } from '../queue-policy-store.js';

export class RedisQueuePolicies implements QueuePolicyStore {
  constructor(
    private readonly redis: Redis | Cluster,
    /** The settings slot, `<prefix>:{s}`. */
    private readonly base: string,
  ) {}

  private key(queue: string): string {
    return `${this.base}:policy:${queue}`;
  }

  async getQueuePolicy(queue: string): Promise<QueuePolicy> {
    return policyFromFields(await this.redis.hgetall(this.key(queue)));
  }

  async patchQueuePolicy({ queue, patch }: { queue: string; patch: QueuePolicyPatch }): Promise<QueuePolicy> {
    const key = this.key(queue);
    const multi = this.redis.multi();
    for (const field of QUEUE_POLICY_FIELDS) {
      const value = patch[field];
      if (value === null) multi.hdel(key, field);
      else if (value !== undefined) multi.hset(key, field, JSON.stringify(value));
    }
    multi.sadd(`${this.base}:policies`, queue).hgetall(key);
    const replies = (await multi.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    return policyFromFields(replies.at(-1)![1] as Record<string, string>);
  }

  async listQueuePolicies(): Promise<Array<{ queue: string; policy: QueuePolicy }>> {
    const queues = (await this.redis.smembers(`${this.base}:policies`)).sort();
    return Promise.all(queues.map(async (queue) => ({ queue, policy: await this.getQueuePolicy(queue) })));
  }
}
