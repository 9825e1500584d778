/**
 * Where Jobgate's keys live in Redis Cluster terms. Each Lua script works inside one hash
 * slot, named by the base it gets as KEYS[1]:
 *
 * - a **queue shard** `<prefix>:{q:<hhhh>}`: a queue's jobs, its fair-queue groups, its
 *   owner and project counters, its status, lease and schedule indexes. `hhhh` is four
 *   hex digits of the queue name's hash, so every key of one queue shares one tag, and
 *   the 65,536 shards spread queues over the cluster. Job ids start with their queue's
 *   shard, so any server routes a call by job id without a lookup.
 * - a **tenant** `<prefix>:{t:<owner>}`: the owner's daily usage and idempotency keys,
 *   which span queues (reserve.lua).
 * - a **rate bucket** `<prefix>:{r:<key>}`: one token bucket.
 * - the **global** slot `<prefix>:{g}`: the queue registry, API keys, workers, events.
 * - the **settings** slot `<prefix>:{s}`: every cron schedule (schedule-store.ts) and queue
 *   policy (queue-policy-store.ts).
 * - the **webhook** slot `<prefix>:{wh}`: subscriptions, deliveries, callbacks, marks
 *   (see lua/webhook_*.lua for the keys inside it).
 *
 * The Lua side (lua/includes/common.lua) names the keys inside a slot; this file names
 * the bases and the keys TypeScript reads directly.
 */
import { randomUUID } from 'node:crypto';

const SHARD = /^[0-9a-f]{4}/;

/** Four hex digits of the queue name's 32-bit FNV-1a hash. */
export function queueShard(queue: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < queue.length; i++) {
    hash ^= queue.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) & 0xffff).toString(16).padStart(4, '0');
}

/** A random UUID whose first four hex digits name the queue's shard. */
export function jobIdFor(queue: string): string {
  return queueShard(queue) + randomUUID().slice(4);
}

/** The shard a job id routes to, or null for an id no Redis store issued. */
export function shardOfJobId(id: string): string | null {
  return SHARD.test(id) ? id.slice(0, 4) : null;
}

export interface RedisKeys {
  global: string;
  settings: string;
  shard(shard: string): string;
  queueBase(queue: string): string;
  tenant(owner: string): string;
  bucket(key: string): string;
  queues: string;
  apiKeys: string;
  apiKeyIds: string;
  events: string;
  webhooks: string;
  job(id: string): string | null;
  /** A queue's jobs in one status, by creation order; its ZCARD is the status count. */
  statusSet(queue: string, status: string): string;
  queue(queue: string): string;
  finished(queue: string): string;
  /** An owner's jobs in a queue: a list of ids in creation order (see appendOwnerJobs in admission.lua). */
  ownerJobs(queue: string, owner: string): string;
  usage(owner: string, day: number): string;
  /** A job's artifact records, a hash of name -> record JSON, in the job's slot; null for an id no Redis store issued. */
  artifacts(jobId: string): string | null;
  /** A shard's jobs that have artifact records (the artifact sweep's index). */
  artifactJobs(shard: string): string;
}

export function redisKeys(prefix = 'jg'): RedisKeys {
  const global = `${prefix}:{g}`;
  const shard = (s: string) => `${prefix}:{q:${s}}`;
  const queueBase = (queue: string) => shard(queueShard(queue));
  const tenant = (owner: string) => `${prefix}:{t:${owner}}`;
  return {
    global,
    settings: `${prefix}:{s}`,
    shard,
    queueBase,
    tenant,
    bucket: (key) => `${prefix}:{r:${key}}`,
    queues: `${global}:queues`,
    apiKeys: `${global}:keys`,
    apiKeyIds: `${global}:keyids`,
    events: `${global}:events`,
    webhooks: `${prefix}:{wh}`,
    job: (id) => {
      const s = shardOfJobId(id);
      return s === null ? null : `${shard(s)}:job:${id}`;
    },
    statusSet: (queue, status) => `${queueBase(queue)}:qs:${queue}|${status}`,
    queue: (queue) => `${queueBase(queue)}:q:${queue}`,
    finished: (queue) => `${queueBase(queue)}:fin:${queue}`,
    ownerJobs: (queue, owner) => `${queueBase(queue)}:ol:${queue}|${owner}`,
    usage: (owner, day) => `${tenant(owner)}:usage:${day}`,
    artifacts: (jobId) => {
      const s = shardOfJobId(jobId);
      return s === null ? null : `${shard(s)}:art:${jobId}`;
    },
    artifactJobs: (s) => `${shard(s)}:artjobs`,
  };
}
