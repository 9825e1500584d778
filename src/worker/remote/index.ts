/**
 * `jobgate/worker`: run handlers anywhere, against a Jobgate server over HTTP.
 * Imports nothing server-side (no store, no HTTP server): test/workers/import-graph.test.ts checks it.
 */
export type { Job, JobError, JobProgress } from '../../domain/job.js';
export {
  type AbortReason,
  type ArtifactBody,
  type ArtifactUploader,
  type HandlerContext,
  type JobHandler,
  type StoredArtifact,
  UnrecoverableError,
} from '../handler.js';
export type { BackoffSettings } from './backoff.js';
export { type RemoteWorkerState, Worker, type WorkerOptions } from './remote-worker.js';
export { isConnectionError, WorkerConnectionError } from './worker-http.js';
