/**
 * A whole server on the S3 backend (a real s3rver): an artifact stored by a handler is
 * downloaded by signed link (streamed through Jobgate, or as a 302 to a presigned bucket
 * URL), and the object is gone from the bucket once the job is purged.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/artifacts/s3-blob-store.js';
import { validateConfig } from '../../src/config/load-config.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, liveAdminKey, startLiveServer } from '../workers/live-server.js';

let s3: TestS3;
let live: LiveServer | undefined;
beforeAll(async () => {
  s3 = await startS3();
});
afterEach(async () => {
  await live?.close();
  live = undefined;
});
afterAll(async () => {
  await s3?.stop();
});

async function serverOnS3(presignedRedirect: boolean) {
  const blobs = new S3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: s3.credentials,
    prefix: `t-${randomUUID()}/`,
  });
  const config = validateConfig({
    artifacts: { backend: 's3', s3: { bucket: s3.bucket, endpoint: s3.endpoint, presignedRedirect } },
  });
  live = await startLiveServer({ config, artifacts: { blobs } });
  live.server.workers.register('render', async (_job, ctx) => {
    await ctx.artifacts.put('frame.png', Buffer.from('a PNG, say'), { contentType: 'image/png' });
    return {};
  });
  const headers = { authorization: `Bearer ${liveAdminKey}`, 'content-type': 'application/json' };
  const submitted = (await (
    await fetch(`${live.url}/api/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ queue: 'render' }),
    })
  ).json()) as { id: string };
  await waitFor(async () => {
    const job = (await (await fetch(`${live!.url}/api/v1/jobs/${submitted.id}`, { headers })).json()) as {
      status: string;
    };
    return job.status === 'completed';
  });
  const { items } = (await (
    await fetch(`${live.url}/api/v1/jobs/${submitted.id}/artifacts`, { headers })
  ).json()) as { items: Array<{ url: string }> };
  return { id: submitted.id, blobs, link: items[0]!.url };
}

it('streams an S3 artifact by signed link and deletes the object with its purged job', async () => {
  const { id, blobs, link } = await serverOnS3(false);
  const answer = await fetch(link);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toBe('image/png');
  expect(await answer.text()).toBe('a PNG, say');
  expect(await blobs.list({ jobId: id })).toHaveLength(1);

  const { engine, artifacts } = live!.server;
  await engine.store.purge({ completedBefore: Date.now() + 1, failedBefore: Date.now() + 1, limit: 10 });
  await artifacts.sweepGoneJobs();
  expect(await blobs.list({ jobId: id })).toEqual([]);
  expect((await fetch(link)).status).toBe(404);
});

it('answers a signed link with a presigned bucket URL when presignedRedirect is on', async () => {
  const { link } = await serverOnS3(true);
  const answer = await fetch(link, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  const location = answer.headers.get('location')!;
  expect(location.startsWith(s3.endpoint)).toBe(true);
  const fromBucket = await fetch(location);
  expect(fromBucket.status).toBe(200);
  expect(await fromBucket.text()).toBe('a PNG, say');
});
