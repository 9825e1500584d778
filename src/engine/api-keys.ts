/**
 * API keys: `jg_<prefix>_<secret>`. The prefix is public and finds the record; only a
 * SHA-256 of the whole key is stored, and comparison is constant-time. A key is shown
 * once, at creation. Revocation takes effect on the next request: the store is asked
 * every time, and only while it cannot answer does a recently verified key still pass
 * (outage-key-cache.ts).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { JobgateError } from '../domain/errors.js';
import type { ApiKeyRecord, JobStore } from '../store/store.js';
import { isStoreOutage } from '../store/store-errors.js';
import { OutageKeyCache } from './outage-key-cache.js';
import type { Principal, Role } from './principal.js';

const KEY_PATTERN = /^jg_([a-f0-9]{12})_([A-Za-z0-9_-]{32,64})$/;

/** The owner of the keys servers make for their own pool workers. */
export const poolKeyOwner = 'jobgate-pool';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface CreateKeyRequest {
  owner: string;
  role: Role;
  tier: string;
  name?: string;
}

export type PublicKeyRecord = Omit<ApiKeyRecord, 'hash'>;

export class ApiKeys {
  private readonly store: JobStore;
  private readonly bootstrapHash: string | null;
  private readonly tiers: ReadonlySet<string>;
  /** Keys this server uses itself (its pool workers'), by id, with why: revoking one answers 409. */
  private readonly protectedKeys = new Map<string, string>();
  private readonly outageKeys = new OutageKeyCache();

  /** `bootstrapAdminKey` (JOBGATE_ADMIN_KEY) is an admin key that lives only in the environment. */
  constructor(store: JobStore, options: { bootstrapAdminKey?: string; tiers: Iterable<string> }) {
    this.store = store;
    this.bootstrapHash = options.bootstrapAdminKey ? hashKey(options.bootstrapAdminKey) : null;
    this.tiers = new Set(options.tiers);
  }

  /** The configured tier names (a schedule's tier must be one). */
  tierNames(): string[] {
    return [...this.tiers];
  }

  async create(request: CreateKeyRequest): Promise<{ key: string; record: PublicKeyRecord }> {
    if (!this.tiers.has(request.tier)) {
      throw new JobgateError('JOBGATE_ERR_VALIDATION', `tier "${request.tier}" is not configured`, {
        details: { field: 'tier', tiers: [...this.tiers] },
      });
    }
    const prefix = randomBytes(6).toString('hex');
    const key = `jg_${prefix}_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      prefix,
      hash: hashKey(key),
      owner: request.owner,
      role: request.role,
      tier: request.tier,
      name: request.name ?? null,
      createdAt: await this.store.now(),
      revokedAt: null,
    };
    await this.store.createKey(record);
    return { key, record: publicRecord(record) };
  }

  async list(): Promise<PublicKeyRecord[]> {
    return (await this.store.listKeys()).map(publicRecord);
  }

  /** Marks a key this server depends on; `release` lifts it (before the server revokes the key itself). */
  protect(id: string, reason: string): void {
    this.protectedKeys.set(id, reason);
  }

  release(id: string): void {
    this.protectedKeys.delete(id);
  }

  /**
   * This server's own keys, and every live key of a pool (owner `jobgate-pool`, whichever
   * server made it): revoking one stops that pool's workers authenticating.
   */
  isProtected(record: Pick<ApiKeyRecord, 'id' | 'owner' | 'revokedAt'>): boolean {
    return this.protectedKeys.has(record.id) || (record.owner === poolKeyOwner && record.revokedAt === null);
  }

  /** `force` revokes the pool key of a server that is gone (a server never lets its own go). */
  async revoke(id: string, options: { force?: boolean } = {}): Promise<void> {
    const reason = this.protectedKeys.get(id);
    if (reason !== undefined)
      throw new JobgateError(
        'JOBGATE_ERR_KEY_PROTECTED',
        `Key ${id} is this server’s own: ${reason}. It cannot be revoked while the server runs; it is revoked when the server stops.`,
        { details: { id } },
      );
    if (!options.force) {
      const record = (await this.store.listKeys()).find((key) => key.id === id);
      if (record && this.isProtected(record))
        throw new JobgateError(
          'JOBGATE_ERR_KEY_PROTECTED',
          `Key ${id} is a server’s pool key (owner ${poolKeyOwner}): its pool workers stop authenticating once it is revoked. A server revokes its own when it stops; for the key of a server that is gone, DELETE /api/v1/keys/${id}?force=true.`,
          { details: { id, force: true } },
        );
    }
    if (!(await this.store.revokeKey(id))) throw new JobgateError('JOBGATE_ERR_NOT_FOUND', `No key ${id}`);
  }

  /** Resolves a presented key to its principal, or throws 401. */
  async authenticate(presented: string | undefined): Promise<Principal> {
    if (!presented)
      throw new JobgateError('JOBGATE_ERR_UNAUTHORIZED', 'Send Authorization: Bearer <api key>');
    const hash = hashKey(presented);
    if (this.bootstrapHash && sameHash(hash, this.bootstrapHash)) {
      return { owner: 'admin', role: 'admin', tier: 'internal', keyId: 'bootstrap' };
    }
    const match = KEY_PATTERN.exec(presented);
    let record: ApiKeyRecord | null = null;
    try {
      record = match ? await this.store.findKey(match[1]!) : null;
    } catch (error) {
      const recalled = isStoreOutage(error) ? this.outageKeys.recall(hash) : null;
      if (recalled) return recalled;
      throw error;
    }
    if (!record || !sameHash(hash, record.hash) || record.revokedAt !== null) {
      this.outageKeys.forget(hash);
      throw new JobgateError('JOBGATE_ERR_UNAUTHORIZED', 'The API key is not valid');
    }
    const principal: Principal = {
      owner: record.owner,
      role: record.role,
      tier: record.tier,
      keyId: record.id,
    };
    this.outageKeys.remember(hash, principal);
    return principal;
  }
}

function publicRecord({ hash: _hash, ...rest }: ApiKeyRecord): PublicKeyRecord {
  return rest;
}
