/**
 * The job state machine. Every store operation moves a job along one of these
 * edges and nothing else; the table is the single source of truth that both
 * backends and the conformance suite check against.
 *
 *   scheduled ──promote──► queued ──claim──► running ──complete──► completed
 *       ▲                    ▲  │               │ ├──fail (spent)──► failed
 *       └──fail (retry)──────┼──┼───────────────┘ └──cancel────────► cancelled
 *                            │  └──cancel──► cancelled
 *   awaiting_confirmation ───┘ (confirm)
 *   failed / cancelled ──retry──► queued
 *   running ──reap/release──► queued (lease expired, or graceful shutdown)
 */
export const JOB_STATUSES = [
  'scheduled',
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'awaiting_confirmation',
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  scheduled: ['queued', 'cancelled'],
  queued: ['running', 'cancelled', 'scheduled'],
  running: ['completed', 'failed', 'cancelled', 'scheduled', 'queued'],
  completed: [],
  failed: ['queued'],
  cancelled: ['queued'],
  awaiting_confirmation: ['queued', 'cancelled'],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** States a job waits in before it runs; they count against a queue's `maxQueued`. */
export const WAITING_STATUSES: readonly JobStatus[] = ['scheduled', 'queued', 'awaiting_confirmation'];
