/**
 * `npm run bench -- rss-soak`: the memory of a SQLite server over a long run. The server
 * runs as its own process (`jobgate serve --demo`, from dist/) on a temp database; this
 * process submits jobs in batches (the demo handler finishes each at once) and reads the
 * server's own /metrics between batches: resident set, the V8 heap (held and used), external memory and
 * the database's size on disk. Bounded: JOBGATE_SOAK_JOBS jobs (default 150,000) in
 * batches of 1,000; `-- rss-soak 400000` for a longer one.
 *
 * What it shows (docs/SCALING.md, "Memory"): the resident set outside the V8 heap grows
 * with the database until SQLite's page cache (64 MiB, `cache_size` in sqlite-store.ts)
 * and glibc's malloc arenas are full, then stays flat.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/redis-server.js';
import { printTable } from './stats.js';

const adminKey = `jg_000000000000_${'s'.repeat(40)}`;
const batch = 1_000;

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function run(): Promise<void> {
  const total = Number(process.argv[3] ?? process.env.JOBGATE_SOAK_JOBS ?? 150_000);
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-soak-'));
  const db = join(dir, 'soak.db');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(
    process.execPath,
    ['bin/jobgate.js', 'serve', '--demo', '--port', String(port), '--db', db, '--log-level', 'warn'],
    {
      env: { ...process.env, JOBGATE_ADMIN_KEY: adminKey, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/health`)).ok) break;
      } catch {}
      if (i > 200) throw new Error('the server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const rows: Array<Record<string, string | number>> = [];
    const sample = async (jobs: number) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const rss = metric(text, 'process_resident_memory_bytes');
      // The heap V8 holds from the system (used or not): what is outside it is SQLite, glibc, buffers.
      const heap = metric(text, 'nodejs_heap_size_total_bytes');
      const external = metric(text, 'nodejs_external_memory_bytes');
      let onDisk = 0;
      for (const file of [db, `${db}-wal`]) onDisk += statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      rows.push({
        jobs,
        'rss MiB': mib(rss),
        'heap MiB': mib(heap),
        'heap used MiB': mib(metric(text, 'nodejs_heap_size_used_bytes')),
        'external MiB': mib(external),
        'rss - heap MiB': mib(rss - heap),
        'db+wal MiB': mib(onDisk),
      });
    };
    await sample(0);
    const every = Math.max(batch, Math.round(total / 15 / batch) * batch);
    for (let done = 0; done < total; ) {
      const jobs = Array.from({ length: batch }, (_, n) => ({
        queue: 'demo',
        payload: { ms: 0, n: done + n },
      }));
      const answer = await fetch(`${url}/api/v1/jobs/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jobs }),
      });
      if (answer.status !== 202) throw new Error(`batch answered ${answer.status}: ${await answer.text()}`);
      done += batch;
      // Let the demo workers drain what was queued, so the run measures steady state, not a backlog.
      for (;;) {
        const status = (await (await fetch(`${url}/api/v1/queues/demo/status`, { headers })).json()) as {
          jobs: { queued: number; running: number } | null;
        };
        if (status.jobs && status.jobs.queued + status.jobs.running < batch) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (done % every === 0 || done >= total) await sample(done);
    }
    const header = Object.keys(rows[0]!);
    printTable(
      header,
      rows.map((row) => header.map((key) => row[key]!)),
    );
    console.log(JSON.stringify({ bench: 'rss-soak', jobs: total, samples: rows }));
  } finally {
    server.kill('SIGTERM');
  }
}
