/**
 * Cron schedules (docs/SCHEDULES.md): create, list, read, change, pause/resume, delete
 * and run now. The logic lives in engine/schedules/; a tenant manages its own schedules.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ScheduleAdmin, ScheduleView } from '../../engine/schedules/schedule-admin.js';
import { iso } from '../iso-time.js';
import { errorResponses, JobStatusSchema } from '../schemas.js';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });
const Nullable = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const fields = {
  cron: Type.String({
    minLength: 1,
    maxLength: 200,
    description: '5 fields (minute precision) or 6 (seconds first), e.g. `0 3 * * *` or `*/10 * * * * *`',
  }),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone; default UTC' }),
  queue: Name,
  type: Name,
  payload: Type.Unknown(),
  priority: Type.Integer({ minimum: 1, maximum: 10 }),
  maxAttempts: Nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  timeoutMs: Nullable(Type.Integer({ minimum: 1, maximum: 24 * 3600_000 })),
  projectId: Nullable(Name),
  owner: Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
    description: 'The tenant the jobs belong to (admin only; a tenant key schedules its own jobs)',
  }),
  tier: Type.String({ minLength: 1, maxLength: 64, description: 'The tier whose limits apply (admin only)' }),
  enabled: Type.Boolean(),
  overlap: Type.Union([Type.Literal('allow'), Type.Literal('skip')], {
    description: '`skip`: a tick passes while the previous run is still waiting or running',
  }),
  missed: Type.Union([Type.Literal('skip'), Type.Literal('catch-up-one')], {
    description: 'Ticks that fell while no server ran: dropped, or made up by one job',
  }),
};

const optional = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(props: T) =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>>;
  };

const { cron, queue, ...rest } = fields;
const CreateBody = Type.Object(
  { name: Name, cron, queue, ...optional(rest) },
  { additionalProperties: false },
);
const PatchBody = Type.Object(optional(fields), { additionalProperties: false, minProperties: 1 });

export const ScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  queue: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  priority: Type.Integer(),
  maxAttempts: Type.Union([Type.Integer(), Type.Null()]),
  timeoutMs: Type.Union([Type.Integer(), Type.Null()]),
  projectId: Type.Union([Type.String(), Type.Null()]),
  owner: Type.String(),
  tier: Type.String(),
  enabled: Type.Boolean(),
  overlap: Type.String(),
  missed: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  lastTick: Type.String({ format: 'date-time', description: 'Every tick up to here was handled' }),
  nextRuns: Type.Array(Type.String({ format: 'date-time' }), { description: 'The next five ticks' }),
  lastRun: Type.Union([
    Type.Object({
      jobId: Type.String(),
      at: Type.String({ format: 'date-time' }),
      status: Type.Union([JobStatusSchema, Type.Null()], { description: 'null once the job was purged' }),
    }),
    Type.Null(),
  ]),
});

const view = (s: ScheduleView) => ({
  name: s.name,
  cron: s.cron,
  timezone: s.timezone,
  queue: s.queue,
  type: s.type,
  payload: s.payload,
  priority: s.priority,
  maxAttempts: s.maxAttempts,
  timeoutMs: s.timeoutMs,
  projectId: s.projectId,
  owner: s.owner,
  tier: s.tier,
  enabled: s.enabled,
  overlap: s.overlap,
  missed: s.missed,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
  lastTick: iso(s.lastTick),
  nextRuns: s.nextRuns.map((t) => iso(t)),
  lastRun: s.lastRun && { jobId: s.lastRun.jobId, at: iso(s.lastRun.at), status: s.lastRun.status },
});

const Params = Type.Object({ name: Type.String({ maxLength: 128 }) });

export const scheduleRoutes: FastifyPluginAsyncTypebox<{ schedules: ScheduleAdmin }> = async (
  app,
  { schedules },
) => {
  const tags = ['schedules'];
  const one = { 200: ScheduleSchema, ...errorResponses };

  app.post(
    '/schedules',
    {
      schema: {
        tags,
        summary: 'Create a cron schedule',
        body: CreateBody,
        response: { 201: ScheduleSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(view(await schedules.create(request.body, request.principal))),
  );

  app.get(
    '/schedules',
    {
      schema: {
        tags,
        summary: 'Every schedule (a tenant: its own) with next runs and the last run',
        response: { 200: Type.Object({ items: Type.Array(ScheduleSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await schedules.list(request.principal)).map(view) }),
  );

  app.get(
    '/schedules/:name',
    { schema: { tags, summary: 'One schedule', params: Params, response: one } },
    async (request) => view(await schedules.get(request.params.name, request.principal)),
  );

  app.patch(
    '/schedules/:name',
    {
      schema: {
        tags,
        summary: 'Change a schedule (enabled false/true pauses and resumes it)',
        params: Params,
        body: PatchBody,
        response: one,
      },
    },
    async (request) => view(await schedules.update(request.params.name, request.body, request.principal)),
  );

  for (const [action, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    app.post(
      `/schedules/:name/${action}`,
      {
        schema: {
          tags,
          summary: enabled ? 'Resume (ticks of the pause are not made up)' : 'Pause: no ticks fire',
          params: Params,
          response: one,
        },
      },
      async (request) => view(await schedules.setEnabled(request.params.name, enabled, request.principal)),
    );
  }

  app.post(
    '/schedules/:name/run',
    {
      schema: {
        tags,
        summary: 'Run now: one job outside the cron, as the schedule would make it',
        params: Params,
        response: { 202: Type.Object({ jobId: Type.String(), schedule: ScheduleSchema }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { jobId, schedule } = await schedules.runNow(request.params.name, request.principal);
      return reply.code(202).send({ jobId, schedule: view(schedule) });
    },
  );

  app.delete(
    '/schedules/:name',
    {
      schema: {
        tags,
        summary: 'Delete a schedule (its jobs stay)',
        params: Params,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await schedules.remove(request.params.name, request.principal);
      return reply.code(204).send(null);
    },
  );
};
