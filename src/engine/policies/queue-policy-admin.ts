/**
 * A queue's policy as the API changes and shows it: the stored job defaults and backoff
 * (QueuePolicies) and the admission cap maxQueued (the queue's settings in the store).
 */
import type { QueuePolicyPatch } from '../../domain/queue-policy.js';
import type { Engine } from '../engine.js';
import type { EffectivePolicy } from './queue-policies.js';

export interface QueuePolicyChange extends QueuePolicyPatch {
  /** null = no cap. */
  maxQueued?: number | null;
}

export async function effectivePolicy(engine: Engine, queue: string): Promise<EffectivePolicy> {
  const [policy, state] = await Promise.all([engine.policies.of(queue), engine.store.queueState(queue)]);
  return engine.policies.effective(policy, state.maxQueued);
}

export async function changeQueuePolicy(
  engine: Engine,
  queue: string,
  { maxQueued, ...patch }: QueuePolicyChange,
): Promise<EffectivePolicy> {
  if (Object.keys(patch).length > 0) await engine.policies.patch(queue, patch);
  if (maxQueued !== undefined) {
    const state = await engine.store.queueState(queue);
    await engine.configureQueue({ queue, maxWorkers: state.maxWorkers, maxQueued });
  }
  return effectivePolicy(engine, queue);
}
