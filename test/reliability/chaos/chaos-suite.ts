/** The CI-sized chaos suite of one store: every scenario that store has, judged against the targets. */
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ChaosStore,
  formatTable,
  runScenario,
  type ScenarioName,
  type ScenarioResult,
  scenarioStores,
} from './chaos-scenarios.js';

const jobs = Number(process.env.JOBGATE_CHAOS_JOBS ?? 200);
/**
 * In npm test these scenarios share the machine with the other suites (three vitest forks
 * on two cores), so a reclaim is judged against the target plus this much host slack;
 * `npm run chaos` runs alone and holds the target itself (docs/RELIABILITY.md).
 */
const hostSlackMs = Number(process.env.JOBGATE_CHAOS_HOST_SLACK_MS ?? 1_000);

/** `only`: the scenarios this file runs (a store's scenarios split over files run in parallel). */
export function chaosSuite(store: ChaosStore, only?: ScenarioName[]): void {
  const results: ScenarioResult[] = [];
  afterAll(() => {
    if (results.length) process.stdout.write(`chaos:\n${formatTable(results)}\n`);
  });
  describe(`chaos: ${store}`, () => {
    const scenarios = (Object.keys(scenarioStores) as ScenarioName[]).filter(
      (name) => scenarioStores[name].includes(store) && (!only || only.includes(name)),
    );
    for (const scenario of scenarios) {
      it(`${scenario}: ${jobs} jobs, none lost, none doubled without a fault, no stale write, reclaim in time`, {
        timeout: 180_000,
      }, async () => {
        const result = await runScenario(scenario, store, { jobs });
        results.push(result);
        const summary = JSON.stringify({ ...result, examples: result.examples.slice(0, 5) });
        expect(result.jobs, summary).toBeGreaterThan(0);
        expect(result.lost, summary).toBe(0);
        expect(result.duplicatedUnexcused, summary).toBe(0);
        expect(result.overlappingUnexcused, summary).toBe(0);
        expect(result.staleWrites, summary).toBe(0);
        if (result.reclaimP99Ms !== null)
          expect(result.reclaimP99Ms, summary).toBeLessThanOrEqual(result.reclaimTargetMs + hostSlackMs);
      });
    }
  });
}
