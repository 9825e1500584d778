/**
 * The blob store a server runs with, from `artifacts` in the config and the environment:
 * JOBGATE_ARTIFACTS_BACKEND (local | s3), JOBGATE_ARTIFACTS_DIR, JOBGATE_S3_BUCKET,
 * JOBGATE_S3_ENDPOINT, JOBGATE_S3_PREFIX, AWS_REGION; credentials from the config or the
 * AWS default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles).
 */
import { join } from 'node:path';
import type { ArtifactsConfig } from '../config/config-schema.js';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

export function createBlobStore(
  config: ArtifactsConfig,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): BlobStore {
  const backend =
    env.JOBGATE_ARTIFACTS_BACKEND === 's3'
      ? 's3'
      : env.JOBGATE_ARTIFACTS_BACKEND === 'local'
        ? 'local'
        : config.backend;
  if (backend === 'local')
    return new LocalBlobStore(env.JOBGATE_ARTIFACTS_DIR || config.dir || join(dataDir, 'artifacts'));
  const s3 = config.s3;
  const bucket = env.JOBGATE_S3_BUCKET || s3?.bucket;
  if (!bucket) throw new Error('artifacts.backend "s3" needs artifacts.s3.bucket or JOBGATE_S3_BUCKET');
  const endpoint = env.JOBGATE_S3_ENDPOINT || s3?.endpoint;
  return new S3BlobStore({
    bucket,
    endpoint,
    region: env.AWS_REGION || s3?.region || 'us-east-1',
    forcePathStyle: s3?.forcePathStyle ?? endpoint !== undefined,
    credentials:
      s3?.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    prefix: env.JOBGATE_S3_PREFIX ?? s3?.prefix ?? '',
  });
}
