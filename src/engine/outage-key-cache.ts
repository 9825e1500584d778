/**
 * The keys this server verified recently, for use only while the store cannot be read.
 * Authentication normally asks the store on every request (a revoked key stops at once);
 * when that lookup fails for an outage, a key verified in the last `ttlMs` still
 * authenticates, so its holder gets the answers that need no store (a queue's partial
 * status, health) instead of a blanket 503. Nothing can be revoked while the store is
 * away, so the fallback grants nothing a revocation could have taken back, except a
 * revocation made on another server within the TTL before the outage.
 */
import type { Principal } from './principal.js';

export const outageKeyTtlMsDefault = 10 * 60_000;
const maxEntries = 10_000;

export class OutageKeyCache {
  private readonly entries = new Map<string, { principal: Principal; at: number }>();

  constructor(private readonly ttlMs = outageKeyTtlMsDefault) {}

  /** Records a key hash the store just verified. */
  remember(hash: string, principal: Principal, now = Date.now()): void {
    this.entries.delete(hash);
    this.entries.set(hash, { principal, at: now });
    // Map order is insertion order: the first entry is the least recently verified.
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets a key the store said is unknown or revoked. */
  forget(hash: string): void {
    this.entries.delete(hash);
  }

  /** The principal of a key verified within the TTL, or null. */
  recall(hash: string, now = Date.now()): Principal | null {
    const entry = this.entries.get(hash);
    return entry && now - entry.at <= this.ttlMs ? entry.principal : null;
  }
}
