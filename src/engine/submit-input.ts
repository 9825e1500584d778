/**
 * What a submit may carry, checked here as well as in the HTTP schema so that
 * in-process callers (the CLI, tests, embedders) get the same errors.
 */
import { JobgateError } from '../domain/errors.js';
import { PRIORITY_HIGHEST, PRIORITY_LOWEST } from '../domain/job.js';

export interface SubmitInput {
  queue: string;
  type?: string;
  payload?: unknown;
  priority?: number;
  /** Epoch ms. */
  runAt?: number;
  delayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  projectId?: string;
  parentId?: string;
}

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const maxAttemptsMax = 100;
export const timeoutMsMax = 24 * 3600_000;
export const delayMsMax = 365 * 24 * 3600_000;

function invalid(field: string, message: string): JobgateError {
  return new JobgateError('JOBGATE_ERR_VALIDATION', `${field} ${message}`, { details: { field } });
}

function checkInt(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `must be an integer in [${min}, ${max}]`);
}

export const payloadDepthMax = 64;

/** Nesting depth of a JSON value, walked without recursion so no input can overflow the stack. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export function validateSubmit(input: SubmitInput): SubmitInput {
  if (typeof input.queue !== 'string' || !NAME_PATTERN.test(input.queue)) {
    throw invalid('queue', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');
  }
  if (input.type !== undefined && (typeof input.type !== 'string' || !NAME_PATTERN.test(input.type))) {
    throw invalid('type', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');
  }
  if (depthOf(input.payload, payloadDepthMax) > payloadDepthMax) {
    throw invalid('payload', `must not nest deeper than ${payloadDepthMax} levels`);
  }
  checkInt('priority', input.priority, PRIORITY_HIGHEST, PRIORITY_LOWEST);
  checkInt('maxAttempts', input.maxAttempts, 1, maxAttemptsMax);
  checkInt('timeoutMs', input.timeoutMs, 1, timeoutMsMax);
  checkInt('delayMs', input.delayMs, 0, delayMsMax);
  if (input.runAt !== undefined && !Number.isFinite(input.runAt))
    throw invalid('runAt', 'must be a date-time');
  if (input.runAt !== undefined && input.delayMs !== undefined)
    throw invalid('runAt', 'and delayMs are exclusive');
  if (
    input.projectId !== undefined &&
    (typeof input.projectId !== 'string' || !NAME_PATTERN.test(input.projectId))
  ) {
    throw invalid('projectId', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');
  }
  return input;
}
