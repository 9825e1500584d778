/** Worker slots by state: a stacked bar and a legend with counts, one colour per state. */
import type { WorkerCounts, WorkerSlotState } from '../../../src/client/index.js';

export const workerStates: readonly WorkerSlotState[] = [
  'initializing',
  'ready',
  'idle',
  'running',
  'draining',
];

export function WorkerStates({ workers }: { workers: WorkerCounts }) {
  const total = workerStates.reduce((sum, state) => sum + workers[state], 0);
  return (
    <div className="worker-states">
      <div className="stack" aria-hidden="true">
        {total === 0 ? (
          <span className="stack-empty" />
        ) : (
          workerStates.map((state) =>
            workers[state] > 0 ? (
              <span key={state} className={`fill worker-${state}`} style={{ flexGrow: workers[state] }} />
            ) : null,
          )
        )}
      </div>
      <ul className="legend" aria-label="Workers by state">
        {workerStates.map((state) => (
          <li key={state} className={workers[state] === 0 ? 'zero' : ''}>
            <span className={`dot worker-${state}`} aria-hidden="true" />
            <span className="legend-count">{workers[state]}</span> {state}
          </li>
        ))}
      </ul>
    </div>
  );
}
