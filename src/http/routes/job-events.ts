/**
 * `GET /api/v1/jobs/:id/events`: a job's live events as Server-Sent Events.
 *
 * The stream opens with the job's current state (kind `snapshot`), then sends every
 * transition and progress update, and ends after the job's final event. With a
 * `Last-Event-ID` the log still holds, it resumes with the events after that id
 * instead; when that id's event was already the final one it answers 204, which tells
 * an EventSource to stop reconnecting. See docs/VISIBILITY.md.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.js';
import { endsStream, type JobEventLog, type LoggedEvent } from '../../engine/job-event-log.js';
import { eventView, JobEventSchema, StreamQuery } from '../event-view.js';
import { errorResponses, JobParams } from '../schemas.js';
import { SseStream } from '../sse-stream.js';

export interface JobEventsOptions {
  engine: Engine;
  log: JobEventLog;
  keepAliveMs: number;
}

export const jobEventRoutes: FastifyPluginAsyncTypebox<JobEventsOptions> = async (
  app,
  { engine, log, keepAliveMs },
) => {
  const open = new Set<SseStream>();
  // Streams never end on their own while a job runs; the server must end them to close.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.close();
  });

  app.get(
    '/jobs/:id/events',
    {
      config: { queryKey: true },
      schema: {
        summary: 'Follow a job’s events (Server-Sent Events)',
        description:
          'text/event-stream: the current state first (kind `snapshot`), then every transition and ' +
          'progress update, each with an `id:` line; a `: keep-alive` comment every 15 s; the stream ' +
          'ends after the final event. Send `Last-Event-ID` to resume; 204 when nothing is left.',
        params: JobParams,
        querystring: StreamQuery,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: {
            description: 'A stream of job events, one JSON object per `data:` line',
            content: { 'text/event-stream': { schema: JobEventSchema } },
          },
          204: { description: 'Resumed after the final event: nothing more will come', type: 'null' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const job = await engine.get(request.params.id, request.principal);
      const start = log.open(job, request.headers['last-event-id']);
      if (start.resumed && start.events.length === 0 && start.seen && endsStream(start.seen)) {
        return reply.code(204).send(null);
      }
      const stream = new SseStream(reply, keepAliveMs);
      open.add(stream);
      const send = (event: LoggedEvent) => {
        if (stream.isClosed) return;
        stream.send(String(event.id), eventView(event));
        if (endsStream(event)) stream.close();
      };
      // Subscribed in the same tick as `open`, so no event falls between the start and the live feed.
      const unsubscribe = log.subscribe(job.id, send);
      stream.onClose(() => {
        unsubscribe();
        open.delete(stream);
      });
      for (const event of start.events) send(event);
      return reply;
    },
  );
};
