/**
 * The Redis store on a real 3-node Redis Cluster (startRedisCluster): the queue shards of
 * the test's queues live on every node, so each script is routed to the node of its slot,
 * a resharded slot answers MOVED, cross-queue reads (counts, list) and the promote/reap
 * sweeps fan out over all nodes, and events cross nodes through cluster pub/sub.
 *
 * One Engine (store A, in-process workers, shared events) does the work; a second store
 * instance (B) on the same cluster reads by id, lists, counts and listens to the events.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedJob, Job } from '../../src/domain/job.js';
import { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/principal.js';
import { queueShard } from '../../src/store/redis/redis-keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { OwnerLimits, StoreEvent } from '../../src/store/store.js';
import { InProcessWorkers } from '../../src/worker/in-process-workers.js';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

const prefix = 'jgc';
const perUserLimit = 2;
/** Worker slots per queue: more than owners × limit, so the owner limit is what binds. */
const workerConcurrency = 8;
const queuesPerNode = 3;
const limits: OwnerLimits = {
  priorityBoost: 0,
  maxConcurrentPerUser: perUserLimit,
  maxConcurrentPerProject: null,
  dailyJobs: 100_000,
  iterationDepth: null,
  iterationBatch: 1,
};
const tenant = (owner: string): Principal => ({ owner, role: 'tenant', tier: 'limited', keyId: null });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: TestRedisCluster;
let storeA: RedisStore;
let storeB: RedisStore;
let engine: Engine;
let workers: InProcessWorkers;
/** Queue name → port of the node that holds its shard (after the reshard in the first test). */
const queueNode = new Map<string, number>();
let queues: string[] = [];
/** One owner per node: each tenant slot (daily usage, idempotency keys) on a different node. */
const owners: string[] = [];
/** Events store B received through its own subscription, in arrival order. */
const seenByB: StoreEvent[] = [];
/** Every job submitted, with the submit batch it came in (batches run one after another). */
const submitted = new Map<string, { batch: number; owner: string; queue: string }>();
let batches = 0;
const serviceErrors: unknown[] = [];

/** The slot of a queue's shard: every key of the queue carries the tag `{q:<shard>}`. */
const shardSlot = (queue: string) => cluster.keySlot(`{q:${queueShard(queue)}}`);

async function submit(owner: string, inputs: Array<{ queue: string; delayMs?: number }>): Promise<Job[]> {
  const batch = batches++;
  const outcomes = await engine.submitMany(inputs, tenant(owner));
  return outcomes.map((outcome, i) => {
    if ('error' in outcome) throw new Error(`submit ${i} of batch ${batch} failed: ${outcome.error.message}`);
    expect(outcome.duplicate).toBe(false);
    submitted.set(outcome.job.id, { batch, owner, queue: outcome.job.queue });
    return outcome.job;
  });
}

const eventsOf = (id: string, kind: string) => seenByB.filter((e) => e.job.id === id && e.kind === kind);

beforeAll(async () => {
  cluster = await startRedisCluster(3);

  // Queues whose shards land on each node: `queuesPerNode` per node, found by asking the cluster.
  const perNode = new Map<number, string[]>(cluster.ports.map((port) => [port, []]));
  for (let i = 0; [...perNode.values()].some((list) => list.length < queuesPerNode); i++) {
    if (i > 500) throw new Error('could not find queues on every node');
    const queue = `cq-${i}`;
    const port = await cluster.ownerOf(await shardSlot(queue));
    const list = perNode.get(port)!;
    if (list.length < queuesPerNode && !queues.some((q) => queueShard(q) === queueShard(queue))) {
      list.push(queue);
      queues.push(queue);
      queueNode.set(queue, port);
    }
  }
  queues = queues.sort();
  const ownerNodes = new Set<number>();
  for (let i = 0; owners.length < cluster.ports.length; i++) {
    if (i > 500) throw new Error('could not find tenants on every node');
    const owner = `owner-${i}`;
    const port = await cluster.ownerOf(await cluster.keySlot(`{t:${owner}}`));
    if (!ownerNodes.has(port)) {
      ownerNodes.add(port);
      owners.push(owner);
    }
  }

  storeA = new RedisStore({ url: cluster.url, prefix });
  storeB = new RedisStore({ url: cluster.url, prefix });
  await Promise.all([storeA.connect(), storeB.connect()]);
  await storeB.subscribeEvents((event) => seenByB.push(event));

  engine = new Engine({
    store: storeA,
    leaseMs: 3_000,
    intervals: { promoteMs: 50, reapMs: 100, purgeMs: 60_000 },
    limitsFor: () => limits,
    onServiceError: (_service, error) => serviceErrors.push(error),
  });
  await engine.shareEvents();
  workers = new InProcessWorkers(engine);
  engine.setWorkerDirectory(workers);
}, 30_000);

afterAll(async () => {
  await workers?.stop(1_000);
  await engine?.stop();
  await storeA?.close();
  await storeB?.close();
  await cluster?.stop();
});

describe('Redis store on a 3-node Redis Cluster', () => {
  it('spreads the queues over every node and follows MOVED after a slot is resharded', async () => {
    expect(cluster.ports).toHaveLength(3);
    expect(queues).toHaveLength(3 * queuesPerNode);
    expect(new Set(queueNode.values()).size).toBe(3);
    // The tenants' slots are spread too (quota and idempotency live there): one per node.
    const tenantNodes = await Promise.all(
      owners.map(async (owner) => cluster.ownerOf(await cluster.keySlot(`{t:${owner}}`))),
    );
    expect(new Set(tenantNodes).size).toBe(3);

    // One job per queue, through store A; store B reads each back by id (routed by the id's shard).
    const first = await submit(
      owners[0]!,
      queues.map((queue) => ({ queue })),
    );
    for (const job of first) {
      const read = await storeB.get(job.id);
      expect(read?.queue).toBe(job.queue);
      expect(read?.status).toBe('queued');
    }

    // Reshard the slot of one queue, with its keys, to another node: both stores still map the
    // slot to the old node, so their next call there is answered MOVED and must be followed.
    const moved = queues[0]!;
    const slot = await shardSlot(moved);
    const from = queueNode.get(moved)!;
    const to = cluster.ports.find((port) => port !== from)!;
    await cluster.moveSlot(slot, to);
    queueNode.set(moved, to);
    expect(await cluster.ownerOf(slot)).toBe(to);
    expect(new Set(queueNode.values()).size).toBe(3);

    const movedJob = first.find((job) => job.queue === moved)!;
    const [viaA, viaB] = await Promise.all([storeA.get(movedJob.id), storeB.get(movedJob.id)]);
    expect(viaA?.status).toBe('queued');
    expect(viaB?.id).toBe(movedJob.id);
    // A script (EVALSHA) on the moved slot, then an admit into it.
    expect(await storeA.position(movedJob.id)).toBe(1);
    const [again] = await submit(owners[1]!, [{ queue: moved }]);
    expect((await storeB.get(again!.id))?.status).toBe('queued');
    expect((await storeB.counts(moved)).queued).toBe(2);

    // Idempotency spans two slots (tenant, queue) that may sit on different nodes.
    const once = await engine.submit({ queue: queues[1]! }, tenant(owners[2]!), 'cluster-idem-1');
    const twice = await engine.submit({ queue: queues[1]! }, tenant(owners[2]!), 'cluster-idem-1');
    expect(twice.duplicate).toBe(true);
    expect(twice.job.id).toBe(once.job.id);
    submitted.set(once.job.id, { batch: batches++, owner: owners[2]!, queue: queues[1]! });
  });

  it('promotes scheduled jobs and reaps expired leases in shards on every node', async () => {
    // Claimed straight on the store by a "worker" that heartbeats once, then goes silent.
    const ghosts = await submit(
      owners[0]!,
      queues.map((queue) => ({ queue })),
    );
    engine.start();
    const held: ClaimedJob[] = [];
    for (const ghost of ghosts) {
      // The queue's earlier jobs go first (FIFO), so claim until this one is held.
      for (let tries = 0; tries < 5 && !held.some((job) => job.id === ghost.id); tries++)
        held.push(
          ...(await storeA.claim({ queue: ghost.queue, workerId: 'ghost', limit: 1, leaseMs: 2_000 })),
        );
      expect(
        held.map((job) => job.id),
        `ghost claim in ${ghost.queue}`,
      ).toContain(ghost.id);
    }
    // One heartbeat over leases in shards on all three nodes (grouped per shard), shortening them to 300 ms.
    const beat = await storeB.heartbeat({
      leases: held.map((job) => ({ id: job.id, token: job.leaseToken })),
      leaseMs: 300,
    });
    expect(beat.lost).toEqual([]);
    expect(new Set(beat.extended)).toEqual(new Set(held.map((job) => job.id)));
    for (const job of held) {
      const read = (await storeB.get(job.id))!;
      expect(read.status).toBe('running');
      expect(read.leaseExpiresAt!).toBeLessThan(job.leaseExpiresAt!);
    }
    const delayMs = 600;
    const submittedAt = Date.now();
    const scheduled = await submit(
      owners[1]!,
      queues.map((queue) => ({ queue, delayMs })),
    );
    for (const job of scheduled) expect((await storeB.get(job.id))?.status).toBe('scheduled');

    await waitFor(
      () =>
        held.every((job) => eventsOf(job.id, 'requeued').length === 1) &&
        scheduled.every((job) => eventsOf(job.id, 'queued').length === 1),
      { timeoutMs: 10_000, message: 'every ghost reaped and every scheduled job promoted, seen by store B' },
    );
    for (const job of held) {
      const read = (await storeB.get(job.id))!;
      expect(read.status).toBe('queued');
      expect(read.attempts).toBe(1);
      expect(read.workerId).toBeNull();
    }
    for (const job of scheduled) {
      const promoted = eventsOf(job.id, 'queued')[0]!;
      expect(promoted.job.status).toBe('queued');
      expect(promoted.at).toBeGreaterThanOrEqual(job.runAt);
      expect(job.runAt).toBeGreaterThanOrEqual(submittedAt + delayMs);
    }
    // The sweeps visited shards on all three nodes.
    const nodesOf = (jobs: Job[]) => new Set(jobs.map((job) => queueNode.get(job.queue)));
    expect(nodesOf(ghosts).size).toBe(3);
    expect(nodesOf(scheduled).size).toBe(3);
  });

  it('runs a few hundred jobs of 3 owners over 9 queues: limits hold, reads and events see every job once', async () => {
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    for (const queue of queues) {
      workers.register(
        queue,
        async (job) => {
          const key = `${job.owner}|${job.queue}`;
          const now = (running.get(key) ?? 0) + 1;
          running.set(key, now);
          peak.set(key, Math.max(peak.get(key) ?? 0, now));
          try {
            await sleep(5 + Math.floor(Math.random() * 15));
          } finally {
            running.set(key, running.get(key)! - 1);
          }
          return { queue: job.queue };
        },
        { concurrency: workerConcurrency, pollMs: 200 },
      );
    }
    workers.start();

    const perBatch = 36;
    for (let round = 0; round < 3; round++) {
      for (const owner of owners) {
        await submit(
          owner,
          Array.from({ length: perBatch }, (_, i) => ({ queue: queues[(i + round) % queues.length]! })),
        );
      }
    }
    const ids = [...submitted.keys()];
    expect(ids.length).toBeGreaterThanOrEqual(300);

    // Waits by id (each read goes to the job's own node), so a wrong fan-out shows in the counts below.
    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => storeB.get(id)))).every((job) => job?.status === 'completed'),
      { timeoutMs: 20_000, intervalMs: 100, message: `${ids.length} completed jobs` },
    );
    await waitFor(() => ids.every((id) => eventsOf(id, 'completed').length > 0), {
      timeoutMs: 5_000,
      message: 'a completed event for every job at store B',
    });

    // counts over all queues (one ZCARD per queue and status, on the queue's node), from both stores.
    for (const store of [storeA, storeB]) {
      const counts = await store.counts();
      expect(counts.completed).toBe(ids.length);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(ids.length);
    }
    let perQueueTotal = 0;
    for (const queue of queues) {
      const counts = await storeB.counts(queue);
      const expected = [...submitted.values()].filter((job) => job.queue === queue).length;
      expect(counts.completed, `completed in ${queue}`).toBe(expected);
      perQueueTotal += counts.completed;
    }
    expect(perQueueTotal).toBe(ids.length);
    expect([...(await storeB.queues())]).toEqual(expect.arrayContaining(queues));

    // list across all queues, newest first, paged by cursor to the end: every job exactly once.
    const listed: Job[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await storeB.list({ limit: 50, ...(cursor ? { cursor } : {}) });
      listed.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
      expect(pages).toBeLessThan(100);
    } while (cursor);
    const listedIds = listed.map((job) => job.id);
    expect(new Set(listedIds).size).toBe(listedIds.length);
    expect(listedIds.length).toBe(ids.length);
    expect(new Set(listedIds)).toEqual(new Set(ids));
    // Batches were submitted one after another, so newest first means batches never go up.
    const batchOrder = listedIds.map((id) => submitted.get(id)!.batch);
    for (let i = 1; i < batchOrder.length; i++)
      expect(batchOrder[i], `list position ${i}`).toBeLessThanOrEqual(batchOrder[i - 1]!);
    // A filtered listing fans out too: every completed job of one owner.
    const firstOwner: string[] = [];
    cursor = undefined;
    do {
      const page = await storeA.list({
        limit: 40,
        owner: owners[0]!,
        status: 'completed',
        ...(cursor ? { cursor } : {}),
      });
      firstOwner.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(firstOwner)).toEqual(new Set(ids.filter((id) => submitted.get(id)!.owner === owners[0]!)));
    expect(firstOwner.length).toBe(new Set(firstOwner).size);

    // Per-owner limit per queue held; and it was reached, so jobs did run in parallel.
    for (const [key, value] of peak)
      expect(value, `peak running of ${key}`).toBeLessThanOrEqual(perUserLimit);
    expect(Math.max(...peak.values())).toBe(perUserLimit);
    expect(peak.size).toBe(owners.length * queues.length);

    // Every job, read by id from store B: completed, in its queue, by its owner.
    const jobs = await Promise.all(ids.map((id) => storeB.get(id)));
    for (const [i, job] of jobs.entries()) {
      const want = submitted.get(ids[i]!)!;
      expect(job?.status, `job ${ids[i]}`).toBe('completed');
      expect(job?.queue).toBe(want.queue);
      expect(job?.owner).toBe(want.owner);
      expect(job?.result).toEqual({ queue: want.queue });
    }
    // Each completion reached store B exactly once.
    for (const id of ids) expect(eventsOf(id, 'completed'), `completed events of ${id}`).toHaveLength(1);

    // Daily usage lives in each owner's tenant slot: one charge per accepted submit.
    for (const owner of owners) {
      const usage = await storeB.usage({ owner, resetOffsetMs: 0 });
      expect(usage.jobsUsed, `usage of ${owner}`).toBe(
        [...submitted.values()].filter((job) => job.owner === owner).length,
      );
    }
    expect(serviceErrors).toEqual([]);
  });

  it('carries an event published on one node to a subscriber connected to another', async () => {
    // Which node holds store B's subscription? PUBSUB CHANNELS is local to a node.
    const channel = `${prefix}:{g}:events`;
    const holders: number[] = [];
    for (const port of cluster.ports) {
      const client = new Redis(port, '127.0.0.1');
      try {
        const channels = (await client.call('PUBSUB', 'CHANNELS', channel)) as string[];
        if (channels.includes(channel)) holders.push(port);
      } finally {
        client.disconnect();
      }
    }
    expect(holders.length).toBeGreaterThan(0);
    const other = cluster.ports.find((port) => !holders.includes(port))!;
    expect(other).toBeDefined();

    const [job] = await submit(owners[2]!, [{ queue: queues[2]! }]);
    const event: StoreEvent = { kind: 'probe', job: { ...job!, status: 'queued' }, at: Date.now() };
    const publisher = new Redis(other, '127.0.0.1');
    try {
      await publisher.publish(channel, JSON.stringify([event]));
    } finally {
      publisher.disconnect();
    }
    await waitFor(() => eventsOf(job!.id, 'probe').length === 1, {
      message: `an event published on node ${other} at store B (subscribed on ${holders.join(',')})`,
    });

    // And through the store API: store A's publishEvent reaches store B.
    await storeA.publishEvent({ ...event, kind: 'probe-2' });
    await waitFor(() => eventsOf(job!.id, 'probe-2').length === 1, {
      message: 'store A publishEvent at store B',
    });
    // The job itself runs to completion on its queue's node and store B reads it by id.
    await waitFor(async () => (await storeB.get(job!.id))?.status === 'completed', {
      message: 'the probe job completed',
    });
  });

  it('purges the finished jobs of shards on every node', async () => {
    const ids = [...submitted.keys()];
    const cutoff = (await storeB.now()) + 1;
    const removed = await storeB.purge({ completedBefore: cutoff, failedBefore: cutoff, limit: 10_000 });
    expect(removed).toBe(ids.length);
    const counts = await storeA.counts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect((await storeA.list({ limit: 100 })).items).toEqual([]);
    const reads = await Promise.all(ids.map((id) => storeA.get(id)));
    expect(reads.filter((job) => job !== null)).toEqual([]);
  });
});
