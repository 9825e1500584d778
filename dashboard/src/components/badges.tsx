/** Status badges: colour plus text, so no state is told by colour alone. */
import type { JobStatus, QueueHealth, WorkerState } from '../../../src/client/index.js';

export function QueueBadge({ status }: { status: QueueHealth }) {
  return <span className={`badge queue-${status}`}>{status}</span>;
}

export function JobBadge({ status }: { status: JobStatus }) {
  return <span className={`badge job-${status}`}>{status.replace('_', ' ')}</span>;
}

export function WorkerBadge({ state }: { state: WorkerState }) {
  return <span className={`badge worker-${state}`}>{state}</span>;
}
