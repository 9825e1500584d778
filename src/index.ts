/** The embedding API: compose a server, or use the engine and a store directly. */
export { type RunningServer, type ServerOptions, startServer } from './cli/server.js';
export type { JobgateConfig, TierConfig } from './config/config-schema.js';
export { loadConfig, validateConfig } from './config/load-config.js';
export { ERROR_CODES, type ErrorCode, JobgateError } from './domain/errors.js';
export type { Job, JobProgress } from './domain/job.js';
export type { JobStatus } from './domain/job-states.js';
export { Engine, type EngineConfig } from './engine/engine.js';
export { type Principal, systemPrincipal } from './engine/principal.js';
export type { WorkerCounts, WorkerDirectory } from './engine/worker-directory.js';
export { type AppOptions, buildApp } from './http/app.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export type { JobStore } from './store/store.js';
export { type HandlerContext, type JobHandler, UnrecoverableError } from './worker/handler.js';
export { InProcessWorkers } from './worker/in-process-workers.js';
