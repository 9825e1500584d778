/** API keys and rate-limit buckets: small tables beside the job tables, one statement per call. */
import type Database from 'better-sqlite3';
import type { ApiKeyRecord, TokenRequest, TokenResult } from '../store.js';

interface KeyRow {
  id: string;
  prefix: string;
  hash: string;
  owner: string;
  role: ApiKeyRecord['role'];
  tier: string;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
}

const toRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  prefix: row.prefix,
  hash: row.hash,
  owner: row.owner,
  role: row.role,
  tier: row.tier,
  name: row.name,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export function insertKey(db: Database.Database, record: ApiKeyRecord): void {
  db.prepare(
    `INSERT INTO api_keys (id, prefix, hash, owner, role, tier, name, created_at, revoked_at)
     VALUES (@id, @prefix, @hash, @owner, @role, @tier, @name, @createdAt, @revokedAt)`,
  ).run(record);
}

export function keyByPrefix(db: Database.Database, prefix: string): ApiKeyRecord | null {
  const row = db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE prefix = ?').get(prefix);
  return row ? toRecord(row) : null;
}

export function allKeys(db: Database.Database): ApiKeyRecord[] {
  return db.prepare<[], KeyRow>('SELECT * FROM api_keys ORDER BY created_at').all().map(toRecord);
}

export function markRevoked(db: Database.Database, id: string, now: number): boolean {
  return (
    db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(now, id).changes >
    0
  );
}

/**
 * Token bucket: refill by elapsed time, then take one token if there is one. Tokens are
 * fractional in storage so slow refills are exact; callers see whole tokens.
 */
export function takeToken(
  db: Database.Database,
  { key, capacity, refillMs }: TokenRequest,
  now: number,
): TokenResult {
  const row = db
    .prepare<[string], { tokens: number; updated_at: number }>(
      'SELECT tokens, updated_at FROM rate_buckets WHERE key = ?',
    )
    .get(key);
  const elapsed = row ? Math.max(0, now - row.updated_at) : 0;
  const available = row ? Math.min(capacity, row.tokens + elapsed / refillMs) : capacity;
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  db.prepare(
    `INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
  ).run(key, tokens, now);
  const resetMs = allowed ? Math.ceil((capacity - tokens) * refillMs) : Math.ceil((1 - tokens) * refillMs);
  return { allowed, remaining: Math.floor(tokens), resetMs };
}
