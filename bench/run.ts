/**
 * Bench dispatcher: `npm run bench -- <name>` runs one bench, no argument runs them all.
 * Each bench module exports `run()`, prints a human table and ends with one JSON line.
 * Add a bench by adding an entry to `benches`.
 */
import { availableParallelism, cpus } from 'node:os';

interface BenchModule {
  run(): Promise<void>;
}

const benches: Record<string, () => Promise<BenchModule>> = {
  fairness: () => import('./fairness.js'),
  wait: () => import('./wait-estimate.js'),
  redis: () => import('./redis.js'),
  'redis-cost': () => import('./redis-cost.js'),
  http: () => import('./http.js'),
  'rss-soak': () => import('./rss-soak.js'),
  embedded: () => import('./embedded.js'),
};

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name !== undefined && !Object.hasOwn(benches, name)) {
    console.error(`Unknown bench "${name}". Available: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  const names = name === undefined ? Object.keys(benches) : [name];
  console.log(
    `jobgate benches: node ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model.trim() ?? '?'}), ${process.platform}/${process.arch}`,
  );
  for (const bench of names) {
    const load = benches[bench]!;
    const module = await load();
    await module.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
