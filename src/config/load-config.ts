/**
 * Loads and validates the configuration file at start, failing fast with a message
 * that names the bad field (`tiers.pro.dailyJobs must be integer`). Sections a file
 * leaves out take their defaults; a file's `tiers` replaces the default tiers whole.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { cronProblem } from '../domain/schedule-ticks.js';
import { ConfigSchema, defaultConfig, type JobgateConfig, UNKNOWN_QUEUE_SETTINGS } from './config-schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const fieldPath = (instancePath: string) => instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)';

export function validateConfig(raw: unknown, source = 'config'): JobgateConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${source}: must be a JSON object`);
  const input = { ...(raw as Partial<JobgateConfig>) };
  // `queues.allowUnknown` and its kin sit beside the named queues in the file.
  const unknownQueues: Record<string, unknown> = {
    ...defaultConfig.unknownQueues,
    ...(input.unknownQueues ?? {}),
  };
  if (input.queues && typeof input.queues === 'object' && !Array.isArray(input.queues)) {
    const queues: Record<string, unknown> = { ...input.queues };
    for (const name of UNKNOWN_QUEUE_SETTINGS) {
      if (!(name in queues)) continue;
      unknownQueues[name] = queues[name];
      delete queues[name];
    }
    input.queues = queues as JobgateConfig['queues'];
  }
  const merged = {
    ...defaultConfig,
    ...input,
    unknownQueues: unknownQueues as JobgateConfig['unknownQueues'],
    quota: { ...defaultConfig.quota, ...(input.quota ?? {}) },
    fairness: { ...defaultConfig.fairness, ...(input.fairness ?? {}) },
    retention: { ...defaultConfig.retention, ...(input.retention ?? {}) },
    http: { ...defaultConfig.http, ...(input.http ?? {}) },
    artifacts: { ...defaultConfig.artifacts, ...(input.artifacts ?? {}) },
  };
  const [first] = Value.Errors(ConfigSchema, merged);
  if (first) {
    const extra =
      'additionalProperties' in first.params ? ` (${String(first.params.additionalProperties)})` : '';
    throw new ConfigError(`${source}: ${fieldPath(first.instancePath)} ${first.message}${extra}`);
  }
  if (!merged.tiers[merged.defaultTier]) {
    throw new ConfigError(
      `${source}: defaultTier "${merged.defaultTier}" is not one of the tiers (${Object.keys(merged.tiers).join(', ')})`,
    );
  }
  if (merged.http.headersTimeoutSec > merged.http.requestTimeoutSec)
    throw new ConfigError(`${source}: http.headersTimeoutSec must be <= http.requestTimeoutSec`);
  if (merged.artifacts.backend === 's3' && !merged.artifacts.s3 && !process.env.JOBGATE_S3_BUCKET)
    throw new ConfigError(
      `${source}: artifacts.backend "s3" needs artifacts.s3.bucket (or JOBGATE_S3_BUCKET)`,
    );
  for (const [name, hook] of Object.entries(merged.hooks ?? {})) {
    if (!hook.secret && !hook.secrets)
      throw new ConfigError(`${source}: hooks.${name} needs secret or secrets`);
    if (hook.tier !== undefined && !merged.tiers[hook.tier])
      throw new ConfigError(`${source}: hooks.${name}.tier "${hook.tier}" is not one of the tiers`);
    if (
      hook.scheme === 'standard-webhooks' &&
      [hook.secret, ...(hook.secrets ?? [])].some((s) => s !== undefined && !s.startsWith('whsec_'))
    )
      throw new ConfigError(`${source}: hooks.${name}: standard-webhooks secrets start with whsec_`);
  }
  for (const [name, queue] of Object.entries(merged.queues)) {
    if (queue.pool && queue.pool.min > queue.pool.max)
      throw new ConfigError(`${source}: queues.${name}.pool.min must be <= pool.max`);
    if (queue.pool && !queue.pool.handlers && !queue.pool.command)
      throw new ConfigError(
        `${source}: queues.${name}.pool needs handlers (a module) or command (a shell command)`,
      );
  }
  for (const [name, schedule] of Object.entries(merged.schedules ?? {})) {
    const problem = cronProblem(schedule.cron, schedule.timezone ?? 'UTC');
    if (problem) throw new ConfigError(`${source}: schedules.${name}.${problem.field} ${problem.message}`);
    if (schedule.tier !== undefined && !merged.tiers[schedule.tier])
      throw new ConfigError(`${source}: schedules.${name}.tier "${schedule.tier}" is not one of the tiers`);
  }
  return merged;
}

/**
 * Reads `file` when given, else the file JOBGATE_CONFIG names (either must exist), else
 * ./jobgate.config.json when present, else the defaults.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): JobgateConfig {
  const path =
    file || env.JOBGATE_CONFIG || (existsSync('jobgate.config.json') ? 'jobgate.config.json' : undefined);
  if (!path) return validateConfig({}, 'defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return validateConfig(raw, path);
}

/** The `http` section as the app takes it (connection-limits.ts). */
export function connectionLimits(config: JobgateConfig) {
  const ms = (sec: number) => Math.round(sec * 1000);
  return {
    headersTimeoutMs: ms(config.http.headersTimeoutSec),
    requestTimeoutMs: ms(config.http.requestTimeoutSec),
    idleTimeoutMs: ms(config.http.idleTimeoutSec),
    keepAliveTimeoutMs: ms(config.http.keepAliveTimeoutSec),
    maxConnections: config.http.maxConnections,
  };
}

/** The unknown-queue settings as the engine takes them (engine/queue-catalog.ts). */
export function queuePolicy(config: JobgateConfig) {
  const u = config.unknownQueues;
  return {
    allowUnknown: u.allowUnknown,
    maxUnknown: u.maxUnknown,
    maxUnknownPerOwner: u.maxUnknownPerOwner,
    retireAfterMs: Math.round(u.retireUnknownAfterSec * 1000),
  };
}

/** Milliseconds after UTC midnight of the daily reset. */
export function resetOffsetMs(config: JobgateConfig): number {
  const [hours, minutes] = config.quota.resetUtc.split(':').map(Number);
  return ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000;
}
