/**
 * The remote worker protocol (docs/WORKERS.md): register, lease (long-poll), heartbeat,
 * progress, complete, fail, release, deregister — for worker and admin keys. Every
 * job write presents the lease token from the lease answer; a stale one answers 409
 * JOBGATE_ERR_LEASE_LOST. Listing workers is for admins.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Job } from '../../domain/job.js';
import type { WorkerRegistry } from '../../engine/worker-registry.js';
import type { WorkerRecord } from '../../store/store.js';
import { iso } from '../iso-time.js';
import { jobDto } from '../job-dto.js';
import { errorResponses } from '../schemas.js';
import {
  CompleteBody,
  FailBody,
  HeartbeatAnswer,
  HeartbeatBody,
  JobAck,
  JobLeaseParams,
  LeaseAnswer,
  LeaseBody,
  ProgressBody,
  RegisterBody,
  Registration,
  TokenBody,
  WorkerListQuery,
  WorkerParams,
  WorkerView,
} from '../worker-schemas.js';

export const workerView = (record: WorkerRecord) => ({
  ...record,
  startedAt: iso(record.startedAt),
  lastSeenAt: iso(record.lastSeenAt),
});

const ack = (job: Job) => ({ id: job.id, status: job.status, cancelRequested: job.cancelRequested });

export const workerRoutes: FastifyPluginAsyncTypebox<{ registry: WorkerRegistry }> = async (
  app,
  { registry },
) => {
  const config = { roles: ['worker', 'admin'] as const };
  const tags = ['workers'];
  // Waiting lease requests answer at once when the server closes, so they never hold up shutdown.
  app.addHook('preClose', async () => registry.close());
  // A worker is its registering key's: another worker key may not act as it (admins may).
  app.addHook('preHandler', async (request) => {
    const workerId = (request.params as { workerId?: string } | undefined)?.workerId;
    if (workerId !== undefined && request.principal.role !== 'admin')
      registry.checkKey(workerId, request.principal.keyId);
  });

  app.post(
    '/workers',
    {
      config,
      schema: {
        tags,
        summary: 'Register a worker',
        description: 'Answers with its id and the timings it must keep: lease length and heartbeat interval.',
        body: RegisterBody,
        response: { 201: Registration, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (request.body.id !== undefined && request.principal.role !== 'admin')
        registry.checkKey(request.body.id, request.principal.keyId);
      const registration = await registry.register({
        ...request.body,
        concurrency: request.body.concurrency ?? 1,
      });
      registry.bindKey(registration.worker.id, request.principal.keyId);
      return reply.code(201).send({ ...registration, worker: workerView(registration.worker) });
    },
  );

  app.post(
    '/workers/:workerId/lease',
    {
      config,
      schema: {
        tags,
        summary: 'Lease up to `max` jobs, waiting up to `waitMs` for one (long-poll)',
        description:
          'Jobs come from the worker’s queues under every capacity rule. An empty `jobs` means: ask again.',
        params: WorkerParams,
        body: LeaseBody,
        response: { 200: LeaseAnswer, ...errorResponses },
      },
    },
    async (request, reply) => {
      const gone = new AbortController();
      // The caller hung up: stop waiting, and give back anything claimed for it.
      const onClose = () => {
        if (!reply.raw.writableFinished) gone.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const jobs = await registry.lease(request.params.workerId, request.body ?? {}, gone.signal);
        return {
          jobs: jobs.map((job) => ({
            ...jobDto(job, {}, request.principal),
            leaseToken: job.leaseToken,
            leaseExpiresAt: iso(job.leaseExpiresAt),
            workerId: job.workerId,
          })),
        };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  app.post(
    '/workers/:workerId/heartbeat',
    {
      config,
      schema: {
        tags,
        summary: 'Extend leases and report the worker’s state',
        description:
          'Send every heartbeatMs, even with no jobs, or the worker is shown dead. Stop the `lost` and `cancel` jobs.',
        params: WorkerParams,
        body: HeartbeatBody,
        response: { 200: HeartbeatAnswer, ...errorResponses },
      },
    },
    async (request) => registry.heartbeat(request.params.workerId, request.body),
  );

  app.post(
    '/workers/:workerId/jobs/:jobId/progress',
    {
      config,
      schema: {
        tags,
        summary: 'Report a running job’s progress and stage',
        params: JobLeaseParams,
        body: ProgressBody,
        response: { 200: JobAck, ...errorResponses },
      },
    },
    async (request) => {
      const { token, percent, stage, message } = request.body;
      const job = await registry.progress(
        { id: request.params.jobId, token, workerId: request.params.workerId },
        { percent, stage: stage ?? null, message: message ?? null },
      );
      return ack(job);
    },
  );

  app.post(
    '/workers/:workerId/jobs/:jobId/complete',
    {
      config,
      schema: {
        tags,
        summary: 'Complete a job with its result',
        params: JobLeaseParams,
        body: CompleteBody,
        response: { 200: JobAck, ...errorResponses },
      },
    },
    async (request) =>
      ack(
        await registry.complete(
          { id: request.params.jobId, token: request.body.token, workerId: request.params.workerId },
          request.body.result,
        ),
      ),
  );

  app.post(
    '/workers/:workerId/jobs/:jobId/fail',
    {
      config,
      schema: {
        tags,
        summary: 'Fail an attempt; retried with backoff while attempts remain and `retryable` is not false',
        params: JobLeaseParams,
        body: FailBody,
        response: { 200: JobAck, ...errorResponses },
      },
    },
    async (request) => {
      const { token, message, retryable, stack } = request.body;
      const error = { message, retryable: retryable ?? true, ...(stack === undefined ? {} : { stack }) };
      return ack(
        await registry.fail({ id: request.params.jobId, token, workerId: request.params.workerId }, error),
      );
    },
  );

  app.post(
    '/workers/:workerId/jobs/:jobId/release',
    {
      config,
      schema: {
        tags,
        summary: 'Give a job back to the queue unrun (shutdown); the attempt is not counted',
        params: JobLeaseParams,
        body: TokenBody,
        response: { 200: JobAck, ...errorResponses },
      },
    },
    async (request) =>
      ack(
        await registry.release({
          id: request.params.jobId,
          token: request.body.token,
          workerId: request.params.workerId,
        }),
      ),
  );

  app.delete(
    '/workers/:workerId',
    {
      config,
      schema: {
        tags,
        summary: 'Deregister a worker (after it finished or released its jobs)',
        params: WorkerParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await registry.deregister(request.params.workerId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/workers',
    {
      config: { roles: ['admin'] as const },
      schema: {
        tags,
        summary: 'List workers with their states (dead ones until they are forgotten)',
        querystring: WorkerListQuery,
        response: { 200: Type.Object({ items: Type.Array(WorkerView) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await registry.list({ queue: request.query.queue })).map(workerView) }),
  );
};
