/**
 * What a schedule may carry, checked here for the API and the config file alike: the
 * cron and time zone (croner must read them), and the job it makes, by the submit rules.
 */
import { JobgateError } from '../../domain/errors.js';
import { PRIORITY_DEFAULT } from '../../domain/job.js';
import { cronProblem } from '../../domain/schedule-ticks.js';
import {
  MISSED_POLICIES,
  OVERLAP_POLICIES,
  type ScheduleDefinition,
  type SchedulePatch,
} from '../../store/schedule-store.js';
import { NAME_PATTERN, validateSubmit } from '../submit-input.js';

export interface ScheduleInput {
  name: string;
  cron: string;
  timezone?: string;
  queue: string;
  type?: string;
  payload?: unknown;
  priority?: number;
  maxAttempts?: number | null;
  timeoutMs?: number | null;
  projectId?: string | null;
  owner: string;
  tier: string;
  enabled?: boolean;
  overlap?: ScheduleDefinition['overlap'];
  missed?: ScheduleDefinition['missed'];
}

const invalid = (field: string, message: string) =>
  new JobgateError('JOBGATE_ERR_VALIDATION', `${field} ${message}`, { details: { field } });

function checkOneOf(field: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value))
    throw invalid(field, `must be one of ${allowed.join(', ')}`);
}

/** Throws a validation error naming the field when the whole definition is not valid. */
export function checkDefinition(definition: ScheduleDefinition): ScheduleDefinition {
  if (typeof definition.name !== 'string' || !NAME_PATTERN.test(definition.name))
    throw invalid('name', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');
  const problem = cronProblem(definition.cron, definition.timezone);
  if (problem) throw invalid(problem.field, problem.message);
  checkOneOf('overlap', definition.overlap, OVERLAP_POLICIES);
  checkOneOf('missed', definition.missed, MISSED_POLICIES);
  validateSubmit({
    queue: definition.queue,
    type: definition.type,
    payload: definition.payload,
    priority: definition.priority,
    maxAttempts: definition.maxAttempts ?? undefined,
    timeoutMs: definition.timeoutMs ?? undefined,
    projectId: definition.projectId ?? undefined,
  });
  return definition;
}

export function toDefinition(input: ScheduleInput): ScheduleDefinition {
  return checkDefinition({
    name: input.name,
    cron: input.cron,
    timezone: input.timezone ?? 'UTC',
    queue: input.queue,
    type: input.type ?? 'default',
    payload: input.payload ?? null,
    priority: input.priority ?? PRIORITY_DEFAULT,
    maxAttempts: input.maxAttempts ?? null,
    timeoutMs: input.timeoutMs ?? null,
    projectId: input.projectId ?? null,
    owner: input.owner,
    tier: input.tier,
    enabled: input.enabled ?? true,
    overlap: input.overlap ?? 'allow',
    missed: input.missed ?? 'skip',
  });
}

/** A patch checked against the definition it changes. */
export function checkPatch(current: ScheduleDefinition, patch: SchedulePatch): SchedulePatch {
  checkDefinition({ ...current, ...patch, name: current.name });
  return patch;
}
