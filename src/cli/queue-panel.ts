import { describeWait, type QueueStatusView } from '../client/index.js';

/**
 * A queue's status as a few aligned lines:
 *
 *   demo  busy  (max workers 4)
 *     workers  initializing 0  ready 0  idle 0  running 4  draining 0
 *     jobs     scheduled 0  queued 12  running 4  completed 130  failed 2  cancelled 0  awaiting 0
 *     wait     ~6.5 s (medium confidence) for a new job
 */
export function queuePanel(status: QueueStatusView): string {
  const cap = status.maxWorkers === null ? '' : `  (max workers ${status.maxWorkers})`;
  const lines = [`${status.queue}  ${status.status}${cap}`];
  const w = status.workers;
  lines.push(
    `  workers  initializing ${w.initializing}  ready ${w.ready}  idle ${w.idle}  running ${w.running}  draining ${w.draining}`,
  );
  const j = status.jobs;
  lines.push(
    j
      ? `  jobs     scheduled ${j.scheduled}  queued ${j.queued}  running ${j.running}  completed ${j.completed}  failed ${j.failed}  cancelled ${j.cancelled}  awaiting ${j.awaitingConfirmation}`
      : '  jobs     unknown',
  );
  lines.push(`  wait     ${waitLine(status)}`);
  for (const error of status.errors ?? [])
    lines.push(`  error    ${error.part}: ${error.code}: ${error.message}`);
  return lines.join('\n');
}

function waitLine(status: QueueStatusView): string {
  if (status.estimatedWait) return `${describeWait(status.estimatedWait)} for a new job`;
  return 'unknown';
}
