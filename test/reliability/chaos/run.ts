/**
 * `npm run chaos -- [--jobs N] [--rate N] [--lease-ms N] [--scenario name,…] [--store sqlite|redis]`: the
 * chaos scenarios at any size (default 2,000 jobs each at 200 jobs/s), then the table.
 * Exits 1 when a target is missed (lost, unexcused duplicates or overlaps, stale writes,
 * reclaim p99 over lease + sweep + 1 s).
 */
import { parseArgs } from 'node:util';
import {
  type ChaosStore,
  formatTable,
  runScenario,
  type ScenarioName,
  type ScenarioResult,
  scenarioStores,
} from './chaos-scenarios.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '200' },
    scenario: { type: 'string' },
    store: { type: 'string' },
    'lease-ms': { type: 'string', default: '3000' },
  },
});
const jobs = Number(values.jobs);
const perSecond = Number(values.rate);
const wanted = values.scenario?.split(',') as ScenarioName[] | undefined;
const results: ScenarioResult[] = [];
for (const scenario of Object.keys(scenarioStores) as ScenarioName[]) {
  if (wanted && !wanted.includes(scenario)) continue;
  for (const store of scenarioStores[scenario]) {
    if (values.store && values.store !== store) continue;
    process.stderr.write(`chaos: ${scenario} on ${store}, ${jobs} jobs at ${perSecond}/s…\n`);
    const result = await runScenario(scenario, store as ChaosStore, {
      jobs,
      perSecond,
      leaseMs: Number(values['lease-ms']),
      settleMs: 120_000 + jobs * 20,
    });
    results.push(result);
    for (const example of result.examples) process.stderr.write(`  ${example}\n`);
  }
}
process.stdout.write(`${formatTable(results)}\n`);
const missed = results.filter(
  (r) =>
    r.lost > 0 ||
    r.duplicatedUnexcused > 0 ||
    r.overlappingUnexcused > 0 ||
    r.staleWrites > 0 ||
    (r.reclaimP99Ms !== null && r.reclaimP99Ms > r.reclaimTargetMs),
);
process.exit(missed.length ? 1 : 0);
