/**
 * Inbound hooks: one more way to submit. `receive` verifies the signature over the raw
 * body (before parsing), drops events the hook does not list, selects the payload, and
 * submits as the hook's owner, so every capacity rule of an API submit applies (the
 * tier's rate limit, quota → scheduled, queue cap → 503). The sender's delivery id is
 * the idempotency key: a redelivery answers the job it made the first time.
 */
import { JobgateError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { Engine } from '../engine.js';
import type { Principal } from '../principal.js';
import { checkHookSignature, type Headers, type HookScheme } from './hook-signature.js';
import { jsonPointer } from './json-pointer.js';

export interface HookDefinition {
  queue: string;
  owner: string;
  tier: string;
  scheme: HookScheme;
  secrets: string[];
  header?: string;
  prefix?: string;
  encoding?: 'hex' | 'base64';
  timestampHeader?: string;
  idHeader?: string;
  events?: string[];
  eventHeader?: string;
  eventPointer?: string;
  payload?: string;
  type?: string;
  priority?: number;
}

export type HookOutcome =
  | { status: 'accepted' | 'duplicate'; job: Job; event: string | null }
  | { status: 'ignored'; event: string | null };

export interface HookRate {
  ratePerMinute: number;
  burst: number;
}

export class InboundHooks {
  constructor(
    private readonly engine: Engine,
    private readonly hooks: Record<string, HookDefinition>,
    private readonly rateFor: (principal: Principal) => HookRate | null,
  ) {}

  private eventOf(hook: HookDefinition, headers: Headers, body: unknown): string | null {
    const headerName = hook.eventHeader ?? (hook.scheme === 'github' ? 'x-github-event' : undefined);
    if (headerName) {
      const value = headers[headerName.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    }
    const pointer = hook.eventPointer ?? (hook.scheme === 'standard-webhooks' ? '/type' : undefined);
    if (pointer === undefined) return null;
    const found = jsonPointer(body, pointer);
    return found.found && typeof found.value === 'string' ? found.value : null;
  }

  async receive(name: string, headers: Headers, raw: Buffer): Promise<HookOutcome> {
    const hook = this.hooks[name];
    if (!hook || !Object.hasOwn(this.hooks, name))
      throw new JobgateError('JOBGATE_ERR_NOT_FOUND', `No hook ${name}`, { details: { hook: name } });
    const checked = checkHookSignature(hook, headers, raw);
    if (!checked.ok)
      throw new JobgateError('JOBGATE_ERR_HOOK_SIGNATURE_INVALID', `Hook ${name}: ${checked.reason}`);
    const principal: Principal = {
      owner: hook.owner,
      role: 'tenant',
      tier: hook.tier,
      keyId: `hook:${name}`,
    };
    await this.takeToken(name, principal);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The body is not valid JSON');
    }
    const event = this.eventOf(hook, headers, body);
    if (hook.events && (event === null || !hook.events.includes(event))) return { status: 'ignored', event };
    const selected = jsonPointer(body, hook.payload ?? '');
    if (!selected.found)
      throw new JobgateError('JOBGATE_ERR_UNPROCESSABLE', `The body has nothing at ${hook.payload}`, {
        details: { pointer: hook.payload },
      });
    const outcome = await this.engine.submit(
      {
        queue: hook.queue,
        payload: selected.value,
        ...(hook.type ? { type: hook.type } : {}),
        ...(hook.priority ? { priority: hook.priority } : {}),
      },
      principal,
      checked.deliveryId === null ? undefined : `hook:${name}:${checked.deliveryId}`,
    );
    return { status: outcome.duplicate ? 'duplicate' : 'accepted', job: outcome.job, event };
  }

  /** The hook's own token bucket, at its owner tier's rate. */
  private async takeToken(name: string, principal: Principal): Promise<void> {
    const rate = this.rateFor(principal);
    if (!rate) return;
    const refillMs = 60_000 / rate.ratePerMinute;
    const taken = await this.engine.takeToken({ key: `rate:hook:${name}`, capacity: rate.burst, refillMs });
    if (!taken.allowed) {
      const retryAfterSec = Math.max(1, Math.ceil(taken.resetMs / 1000));
      throw new JobgateError('JOBGATE_ERR_RATE_LIMITED', `Rate limit exceeded: retry in ${retryAfterSec} s`, {
        retryAfterSec,
      });
    }
  }
}
