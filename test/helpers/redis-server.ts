/**
 * A real redis-server from the binary on a free port, owned by the test: it can be
 * stopped and restarted (same port, same data dir). Fails loudly when the binary is
 * missing — CI installs it (.ci/run); nothing is skipped.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** The running server's process id (the wrapper's, when it runs under one). */
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function assertBinary(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'redis-server is not on PATH: install it (apt-get install redis-server); Redis tests do not skip',
    );
  }
}

/**
 * A test server's command line: loopback, no RDB snapshots, noeviction, its own dir;
 * AOF (fsync always) when asked; cluster mode when asked, with its bus port when given
 * (otherwise port + 10000).
 */
export function serverArgs(options: {
  port: number;
  dir: string;
  appendonly?: boolean;
  cluster?: { busPort?: number };
}): string[] {
  const { port, dir } = options;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
  ];
  if (options.cluster) {
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--cluster-announce-ip',
      '127.0.0.1',
    );
    if (options.cluster.busPort !== undefined) args.push('--cluster-port', String(options.cluster.busPort));
  }
  return args;
}

/**
 * `cluster: true` starts a one-node Redis Cluster that owns all 16,384 slots. One node is
 * enough to prove the key layout: the scripts are Redis functions, and in cluster mode
 * Redis refuses any key a function touches outside the slot of its declared keys.
 */
export async function startRedis(
  options: {
    appendonly?: boolean;
    cluster?: boolean;
    /** Runs the server under a command, e.g. valgrind (bench/redis-cost.ts). */
    wrapper?: string[];
    /** A password the server requires (`--requirepass`); the helper's own probe sends it. */
    password?: string;
  } = {},
): Promise<TestRedis> {
  assertBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-redis-'));
  let child: ChildProcess | null = null;
  const args = serverArgs({
    port,
    dir,
    appendonly: options.appendonly,
    cluster: options.cluster ? {} : undefined,
  });
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const redis: TestRedis = {
    port,
    url: options.cluster ? `redis+cluster://127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    dir,
    pid: () => child?.pid,
    async start() {
      const [command, ...prefix] = [...(options.wrapper ?? []), 'redis-server'];
      child = spawn(command!, [...prefix, ...args], { stdio: 'ignore' });
      const client = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        retryStrategy: () => 50,
        maxRetriesPerRequest: null,
        password: options.password,
      });
      client.on('error', () => {});
      // A server under valgrind takes seconds to start.
      const deadline = Date.now() + (options.wrapper ? 60_000 : 10_000);
      for (;;) {
        try {
          await client.connect().catch(() => {});
          if ((await client.ping()) === 'PONG') break;
        } catch {}
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (options.cluster) await ownAllSlots(client, deadline);
      client.disconnect();
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
      child = null;
    },
  };
  await redis.start();
  return redis;
}

/** Gives a fresh cluster node every slot (kept in nodes.conf across restarts) and waits for `cluster_state:ok`. */
async function ownAllSlots(client: Redis, deadline: number): Promise<void> {
  const slots = String(await client.call('CLUSTER', 'INFO'));
  if (/cluster_slots_assigned:0\b/.test(slots)) await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  while (!/cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO')))) {
    if (Date.now() > deadline) throw new Error('the one-node cluster did not reach cluster_state:ok');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
