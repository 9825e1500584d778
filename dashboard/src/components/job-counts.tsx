/** Jobs of a queue by state, each a link to the jobs table filtered on it. */
import type { QueueStatusView } from '../../../src/client/index.js';
import { links } from '../router.js';
import { count } from './format.js';

const states = [
  ['queued', 'queued', 'queued'],
  ['running', 'running', 'running'],
  ['scheduled', 'scheduled', 'scheduled'],
  ['awaitingConfirmation', 'awaiting', 'awaiting_confirmation'],
  ['completed', 'completed', 'completed'],
  ['failed', 'failed', 'failed'],
  ['cancelled', 'cancelled', 'cancelled'],
] as const;

export function JobCounts({ queue, jobs }: { queue: string; jobs: NonNullable<QueueStatusView['jobs']> }) {
  return (
    <dl className="job-counts">
      {states.map(([field, label, status]) => (
        <div key={field} className={`count job-${status}`}>
          <dt>
            <a href={links.jobs({ queue, status })}>{label}</a>
          </dt>
          <dd>{count(jobs[field])}</dd>
        </div>
      ))}
    </dl>
  );
}
