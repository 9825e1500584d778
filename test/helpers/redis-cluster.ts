/**
 * A real multi-node Redis Cluster from the binary: N masters on free ports (no replicas),
 * the 16,384 slots split evenly between them, joined with CLUSTER MEET. Keys of different
 * slots live on different processes, so routing, MOVED redirects, per-shard fan-out and
 * pub/sub across nodes are real. Fails loudly when the binary is missing (CI installs it,
 * .ci/run); nothing is skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { assertBinary, freePort, serverArgs } from './redis-server.js';

export const CLUSTER_SLOTS = 16_384;

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…`, as RedisStore takes it. */
  url: string;
  /** The nodes' client ports, in the order their slot ranges go up. */
  ports: number[];
  /** The slots node i was given at start: [first, last]. */
  ranges: Array<[number, number]>;
  /** The port of the node that owns `slot` now (asks the cluster, so it follows moveSlot). */
  ownerOf(slot: number): Promise<number>;
  /** The slot of a key, as the cluster computes it. */
  keySlot(key: string): Promise<number>;
  /**
   * Reshards one slot with its keys to the node on `toPort`, the way `redis-cli --cluster
   * reshard` does (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE on every node). Clients
   * with a stale slot map then get MOVED. Call it while nothing writes to the slot.
   */
  moveSlot(slot: number, toPort: number): Promise<void>;
  stop(): Promise<void>;
}

interface Node {
  port: number;
  busPort: number;
  dir: string;
  child: ChildProcess;
  output: string[];
  client: Redis;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` distinct free ports (a client port and a cluster bus port per node). */
async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function tail(node: Node): string {
  return node.output.join('').split('\n').slice(-15).join('\n');
}

function startNode(port: number, busPort: number): Node {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-redis-cluster-'));
  // The bus port would be port + 10000, which nobody checked is free.
  const child = spawn('redis-server', serverArgs({ port, dir, cluster: { busPort } }), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    retryStrategy: () => 50,
    maxRetriesPerRequest: null,
  });
  client.on('error', () => {});
  return { port, busPort, dir, child, output, client };
}

async function waitForPing(node: Node, deadline: number): Promise<void> {
  for (;;) {
    if (node.child.exitCode !== null)
      throw new Error(`redis-server on port ${node.port} exited (${node.child.exitCode}):\n${tail(node)}`);
    try {
      await node.client.connect().catch(() => {});
      if ((await node.client.ping()) === 'PONG') return;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`redis-server did not start on port ${node.port}:\n${tail(node)}`);
    await sleep(50);
  }
}

function info(text: unknown, field: string): string | undefined {
  return new RegExp(`^${field}:(\\S+)`, 'm').exec(String(text))?.[1];
}

/** Whether every node sees a healthy cluster of all `n` masters, each serving its slots. */
async function converged(nodes: Node[]): Promise<string | null> {
  for (const node of nodes) {
    const text = await node.client.call('CLUSTER', 'INFO');
    const state = info(text, 'cluster_state');
    const known = Number(info(text, 'cluster_known_nodes'));
    const size = Number(info(text, 'cluster_size'));
    const assigned = Number(info(text, 'cluster_slots_assigned'));
    if (state !== 'ok' || known !== nodes.length || size !== nodes.length || assigned !== CLUSTER_SLOTS)
      return `node ${node.port}: cluster_state:${state} known_nodes:${known} size:${size} slots_assigned:${assigned}`;
    // Each node must map every range to the master that owns it.
    const slots = (await node.client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    const masters = new Set(slots.map((range) => range[2][1]));
    if (masters.size !== nodes.length)
      return `node ${node.port}: CLUSTER SLOTS names ${masters.size} of ${nodes.length} masters`;
  }
  return null;
}

export async function startRedisCluster(nodes = 3, { timeoutMs = 20_000 } = {}): Promise<TestRedisCluster> {
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`a cluster needs at least one node, not ${nodes}`);
  assertBinary();
  const portList = await distinctPorts(nodes * 2);
  const started: Node[] = [];
  const stopAll = async () => {
    await Promise.all(
      started.map(async (node) => {
        node.client.disconnect();
        if (node.child.exitCode === null && node.child.signalCode === null) {
          await new Promise<void>((resolve) => {
            node.child.once('exit', () => resolve());
            node.child.kill('SIGTERM');
          });
        }
        rmSync(node.dir, { recursive: true, force: true });
      }),
    );
  };
  const ranges: Array<[number, number]> = Array.from({ length: nodes }, (_, i) => [
    Math.floor((i * CLUSTER_SLOTS) / nodes),
    Math.floor(((i + 1) * CLUSTER_SLOTS) / nodes) - 1,
  ]);

  try {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < nodes; i++) started.push(startNode(portList[2 * i]!, portList[2 * i + 1]!));
    await Promise.all(started.map((node) => waitForPing(node, deadline)));

    for (const [i, node] of started.entries()) {
      // Distinct config epochs up front (as redis-cli --cluster create does): no epoch collision to resolve.
      await node.client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
      const [first, last] = ranges[i]!;
      await node.client.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
    }
    const [seed] = started;
    for (const node of started.slice(1))
      await seed!.client.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.busPort));

    for (;;) {
      const pending = await converged(started);
      if (pending === null) break;
      const dead = started.find((node) => node.child.exitCode !== null);
      if (dead) throw new Error(`redis-server on port ${dead.port} exited while joining:\n${tail(dead)}`);
      if (Date.now() > deadline)
        throw new Error(`the ${nodes}-node cluster did not converge within ${timeoutMs} ms: ${pending}`);
      await sleep(50);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const ports = started.map((node) => node.port);
  const byPort = new Map(started.map((node) => [node.port, node]));
  const nodeId = async (node: Node) => String(await node.client.call('CLUSTER', 'MYID'));
  const cluster: TestRedisCluster = {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    ranges,
    async keySlot(key) {
      return Number(await started[0]!.client.call('CLUSTER', 'KEYSLOT', key));
    },
    async ownerOf(slot) {
      const slots = (await started[0]!.client.call('CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number]]
      >;
      const range = slots.find(([first, last]) => first <= slot && slot <= last);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return Number(range[2][1]);
    },
    async moveSlot(slot, toPort) {
      const fromPort = await cluster.ownerOf(slot);
      if (fromPort === toPort) return;
      const source = byPort.get(fromPort);
      const target = byPort.get(toPort);
      if (!source || !target) throw new Error(`no node on port ${fromPort} or ${toPort}`);
      const [sourceId, targetId] = await Promise.all([nodeId(source), nodeId(target)]);
      await target.client.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
      await source.client.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
      for (;;) {
        const keys = (await source.client.call('CLUSTER', 'GETKEYSINSLOT', String(slot), '100')) as string[];
        if (keys.length === 0) break;
        await source.client.call('MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...keys);
      }
      for (const node of [target, source, ...started.filter((n) => n !== source && n !== target)])
        await node.client.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const owners = await Promise.all(
          started.map(async (node) => {
            const slots = (await node.client.call('CLUSTER', 'SLOTS')) as Array<
              [number, number, [string, number]]
            >;
            return slots.find(([first, last]) => first <= slot && slot <= last)?.[2][1];
          }),
        );
        if (owners.every((port) => Number(port) === toPort)) break;
        if (Date.now() > deadline)
          throw new Error(`slot ${slot} did not move to ${toPort}: nodes say ${owners.join(', ')}`);
        await sleep(50);
      }
    },
    stop: stopAll,
  };
  return cluster;
}
