/**
 * Artifact metadata on Redis (see store/artifact-meta.ts). A job's records are one hash
 * in the job's own slot (`<shard>:art:<jobId>`, name -> JSON), so recording one checks
 * the lease and the job's byte total in one function call (artifact_record.lua) on a
 * single Redis and on Redis Cluster alike. Each shard keeps a set of its jobs with
 * records, which the sweep walks to find records whose job is gone.
 */
import type { Cluster, Redis } from 'ioredis';
import {
  type ArtifactMetaStore,
  type ArtifactRecord,
  jobBytesExceeded,
  type RecordArtifactRequest,
  type RecordArtifactResult,
} from '../artifact-meta.js';
import { storeFailure } from '../store-errors.js';
import type { ScriptName } from './generated/scripts.js';
import { queueShard, type RedisKeys, shardOfJobId } from './redis-keys.js';

export interface RedisArtifactMetaDeps {
  redis: Redis | Cluster;
  keys: RedisKeys;
  /** Runs a function of the library in the slot named by `base` (RedisStore.run). */
  run: (name: ScriptName, base: string, ...args: Array<string | number>) => Promise<unknown>;
  queues: () => Promise<string[]>;
}

/** Job ids a sweep call looks at per shard. */
const SCAN_COUNT = 200;

export class RedisArtifactMeta implements ArtifactMetaStore {
  constructor(private readonly deps: RedisArtifactMetaDeps) {}

  async recordArtifact(request: RecordArtifactRequest): Promise<RecordArtifactResult> {
    const shard = shardOfJobId(request.jobId);
    if (shard === null) throw storeFailure('not_found', { id: request.jobId });
    const reply = (await this.deps.run(
      'artifactRecord',
      this.deps.keys.shard(shard),
      request.jobId,
      request.token,
      request.name,
      request.size,
      request.contentType,
      request.sha256,
      request.blobKey,
      request.maxJobBytes === null ? '' : request.maxJobBytes,
    )) as string[];
    if (reply[0] === 'error') {
      if (reply[1] === 'too_large') throw jobBytesExceeded(request, Number(reply[2]));
      throw storeFailure(reply[1] === 'lease_lost' ? 'lease_lost' : 'not_found', { id: request.jobId });
    }
    const { token: _token, maxJobBytes: _limit, ...rest } = request;
    return {
      artifact: { ...rest, createdAt: Number(reply[1]) },
      replaced: reply[2] ? parseRecord(reply[2]) : null,
    };
  }

  async listArtifacts(jobId: string): Promise<ArtifactRecord[]> {
    const key = this.deps.keys.artifacts(jobId);
    if (key === null) return [];
    const values = (await this.deps.redis.hvals(key)).map(parseRecord);
    return values.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getArtifact({ jobId, name }: { jobId: string; name: string }): Promise<ArtifactRecord | null> {
    const key = this.deps.keys.artifacts(jobId);
    if (key === null) return null;
    const value = await this.deps.redis.hget(key, name);
    return value ? parseRecord(value) : null;
  }

  async artifactBytes(jobId: string): Promise<number> {
    return (await this.listArtifacts(jobId)).reduce((total, record) => total + record.size, 0);
  }

  async artifactCounts(jobIds: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const known = jobIds.filter((id) => this.deps.keys.artifacts(id) !== null);
    const lengths = await Promise.all(known.map((id) => this.deps.redis.hlen(this.deps.keys.artifacts(id)!)));
    for (const [i, id] of known.entries()) if (lengths[i]! > 0) counts.set(id, lengths[i]!);
    return counts;
  }

  async orphanedArtifacts({ limit }: { limit: number }): Promise<ArtifactRecord[]> {
    const out: ArtifactRecord[] = [];
    const shards = new Set((await this.deps.queues()).map(queueShard));
    for (const shard of shards) {
      const setKey = this.deps.keys.artifactJobs(shard);
      let cursor = '0';
      do {
        const [next, ids] = await this.deps.redis.sscan(setKey, cursor, 'COUNT', SCAN_COUNT);
        cursor = next;
        const alive = await Promise.all(ids.map((id) => this.deps.redis.exists(this.deps.keys.job(id)!)));
        for (const [i, id] of ids.entries()) {
          if (alive[i]) continue;
          out.push(...(await this.listArtifacts(id)));
          if (out.length >= limit) return out.slice(0, limit);
        }
      } while (cursor !== '0');
    }
    return out;
  }

  async forgetArtifacts(records: Array<Pick<ArtifactRecord, 'jobId' | 'name' | 'blobKey'>>): Promise<number> {
    const byShard = new Map<string, Array<string>>();
    for (const { jobId, name, blobKey } of records) {
      const shard = shardOfJobId(jobId);
      if (shard === null) continue;
      const args = byShard.get(shard) ?? [];
      args.push(jobId, name, blobKey);
      byShard.set(shard, args);
    }
    let removed = 0;
    for (const [shard, args] of byShard)
      removed += Number(await this.deps.run('artifactForget', this.deps.keys.shard(shard), ...args));
    return removed;
  }
}

function parseRecord(json: string): ArtifactRecord {
  const raw = JSON.parse(json) as ArtifactRecord;
  return {
    jobId: raw.jobId,
    name: raw.name,
    size: Number(raw.size),
    contentType: raw.contentType,
    sha256: raw.sha256,
    blobKey: raw.blobKey,
    createdAt: Number(raw.createdAt),
  };
}
