/**
 * `GET /api/v1/ws`: job and queue events over a WebSocket (protocol in ../ws-session.ts).
 * The upgrade request is authenticated like any /api/v1 request; browsers cannot set
 * headers on a WebSocket, so `?key=` is accepted here as well as `Authorization`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobgateError } from '../../domain/errors.js';
import type { Engine } from '../../engine/engine.js';
import type { JobEventLog } from '../../engine/job-event-log.js';
import { StreamQuery } from '../event-view.js';
import { errorResponses } from '../schemas.js';
import { WsSession } from '../ws-session.js';

export const wsRoutes: FastifyPluginAsyncTypebox<{
  engine: Engine;
  log: JobEventLog;
  keepAliveMs: number;
}> = async (app, { engine, log, keepAliveMs }) => {
  app.get(
    '/ws',
    {
      websocket: true,
      config: { queryKey: true },
      schema: {
        summary: 'Job and queue events over a WebSocket',
        description:
          'Upgrade to a WebSocket, then send `{"op":"subscribe","jobId":…}`, `{"op":"unsubscribe","jobId":…}` ' +
          'or (admin) `{"op":"subscribe","queue":…}`. Events have the shape of the SSE stream’s, with ' +
          '`"type":"event"`; refusals are `{"type":"error","code",…}`. Authenticate with ' +
          '`Authorization: Bearer` or `?key=` (browsers cannot set WebSocket headers).',
        querystring: StreamQuery,
        response: {
          101: { description: 'Switching to the WebSocket protocol', type: 'null' },
          ...errorResponses,
        },
      },
      // A plain GET would get the plugin's bare 404; it gets a clear error instead.
      preHandler: async (request) => {
        if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
          throw new JobgateError(
            'JOBGATE_ERR_BAD_REQUEST',
            'This route speaks WebSocket: send an Upgrade request',
          );
        }
      },
    },
    (socket, request) => {
      new WsSession({ socket, principal: request.principal, engine, log, keepAliveMs });
    },
  );
};
