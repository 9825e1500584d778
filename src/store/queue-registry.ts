/**
 * Dynamic queues: a noun of the store contract beside jobs. A queue the configuration
 * does not name is created by the first submit to it (when the server allows unknown
 * queues at all) and recorded here with the owner that created it, so that the number
 * of such queues is capped server-wide and per owner, and one left idle and empty is
 * retired. Each method is one atomic store call.
 */

export interface DynamicQueueRecord {
  queue: string;
  /** The owner whose submit created it. */
  owner: string;
  createdAt: number;
  lastUsedAt: number;
}

/** `created`: recorded now; `known`: it was, lastUsedAt refreshed; else refused by a cap. */
export type DynamicQueueOutcome = 'created' | 'known' | 'total_limit' | 'owner_limit';

export interface QueueRegistryStore {
  /**
   * Records a use of `queue`: refreshes lastUsedAt of a recorded queue, or records it for
   * `owner` unless that would pass `maxTotal` dynamic queues, or `maxPerOwner` of this
   * owner's (null = no cap).
   */
  recordDynamicQueue(request: {
    queue: string;
    owner: string;
    maxTotal: number | null;
    maxPerOwner: number | null;
  }): Promise<DynamicQueueOutcome>;
  /** Recorded queues last used before `idleBefore`, least recently used first. */
  idleDynamicQueues(request: { idleBefore: number; limit: number }): Promise<string[]>;
  /** Deletes the record when it is still unused since `idleBefore`; true when deleted. */
  retireDynamicQueue(request: { queue: string; idleBefore: number }): Promise<boolean>;
  listDynamicQueues(): Promise<DynamicQueueRecord[]>;
  /**
   * Drops `queue` from the store's queue list (`JobStore.queues()`) and its settings
   * (paused, caps) when it holds no job in any status; false when it holds one.
   */
  forgetQueue(queue: string): Promise<boolean>;
}
