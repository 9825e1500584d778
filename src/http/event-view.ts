/** A job event as SSE and WebSocket clients see it: one shape on both transports. */
import { Type } from 'typebox';
import type { LoggedEvent } from '../engine/job-event-log.js';
import { iso } from './iso-time.js';
import { JobProgressSchema, JobStatusSchema } from './schemas.js';

export const JobEventSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque; rises within a job’s stream. Hand it back to resume.' }),
    jobId: Type.String(),
    queue: Type.String(),
    kind: Type.String({
      description:
        '`snapshot` (the state a stream starts from) or the transition: created, queued, scheduled, ' +
        'running, progress, completed, failed, cancelled, cancel_requested, retried, requeued, ' +
        'awaiting_confirmation, confirmed, released, deferred, removed',
    }),
    status: JobStatusSchema,
    progress: JobProgressSchema,
    at: Type.String({ format: 'date-time' }),
  },
  { description: 'One job event' },
);

export interface JobEventView {
  id: string;
  jobId: string;
  queue: string;
  kind: string;
  status: LoggedEvent['status'];
  progress: LoggedEvent['progress'];
  at: string;
}

export function eventView(event: LoggedEvent): JobEventView {
  return {
    id: String(event.id),
    jobId: event.jobId,
    queue: event.queue,
    kind: event.kind,
    status: event.status,
    progress: event.progress,
    at: iso(event.at),
  };
}

/** The query of the stream routes: browsers cannot set headers on EventSource or WebSocket. */
export const StreamQuery = Type.Object(
  {
    key: Type.Optional(
      Type.String({
        maxLength: 256,
        description: 'API key, for clients that cannot send headers (EventSource, WebSocket in browsers)',
      }),
    ),
  },
  { additionalProperties: false },
);
