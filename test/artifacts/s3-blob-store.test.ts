import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { S3BlobStore } from '../../src/artifacts/s3-blob-store.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { blobStoreConformance } from './blob-store-conformance.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

// Each test under its own key prefix in one bucket of one real S3 API server.
blobStoreConformance(
  's3 (s3rver)',
  async () =>
    new S3BlobStore({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: s3.credentials,
      prefix: `t-${randomUUID()}/`,
    }),
);
