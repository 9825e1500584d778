/**
 * Queue policies (domain/queue-policy.ts): a noun of the store contract, so every server
 * applies the same defaults. Each method is one atomic store call.
 */
import type { QueuePolicy, QueuePolicyPatch } from '../domain/queue-policy.js';

export interface QueuePolicyStore {
  /** The queue's stored policy; {} when it has none. */
  getQueuePolicy(queue: string): Promise<QueuePolicy>;
  /** Sets the given fields (null removes one) and returns the policy as it now is. */
  patchQueuePolicy(request: { queue: string; patch: QueuePolicyPatch }): Promise<QueuePolicy>;
  /** Every queue with a stored policy, by name. */
  listQueuePolicies(): Promise<Array<{ queue: string; policy: QueuePolicy }>>;
}

/** Fields are stored one each, as JSON (a backend keeps them as a row or a hash field). */
export function policyFromFields(fields: Record<string, string>): QueuePolicy {
  const policy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) policy[field] = JSON.parse(value);
  return policy as QueuePolicy;
}
