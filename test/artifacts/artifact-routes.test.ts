/**
 * Artifacts over HTTP on a whole server: in-process and remote uploads, listings with
 * signed links, downloads (Range, ETag), tenancy, limits, bad names, stale leases, and
 * retention (purge and clear take the bytes too).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignedLinks } from '../../src/http/signed-links.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, liveAdminKey, startLiveServer } from '../workers/live-server.js';

interface ArtifactItem {
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  url: string;
}

describe('artifacts over HTTP', () => {
  let live: LiveServer;
  let dataDir: string;
  const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  const auth = (key = liveAdminKey) => ({ authorization: `Bearer ${key}` });
  const api = (path: string, init: RequestInit = {}, key = liveAdminKey) =>
    fetch(`${live.url}/api/v1${path}`, { ...init, headers: { ...auth(key), ...(init.headers ?? {}) } });
  const submit = async (queue: string, key = liveAdminKey, payload: unknown = {}) => {
    const response = await api(
      '/jobs',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queue, payload }),
      },
      key,
    );
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const finished = (id: string) =>
    waitFor(async () => {
      const job = (await (await api(`/jobs/${id}`)).json()) as { status: string };
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : null;
    });
  const list = async (id: string, key = liveAdminKey) => {
    const response = await api(`/jobs/${id}/artifacts`, {}, key);
    return { status: response.status, body: (await response.json()) as { items: ArtifactItem[] } };
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jobgate-art-'));
    live = await startLiveServer({
      rawConfig: { artifacts: { maxArtifactBytes: 4096, maxJobBytes: 6000 } },
      artifacts: { dataDir },
    });
    live.server.workers.register('render', async (job, ctx) => {
      const { text, big } = (job.payload ?? {}) as { text?: string; big?: boolean };
      await ctx.artifacts.put('hello.txt', text ?? 'hello, world');
      // A stream of many chunks, read as it is uploaded.
      const chunks = Array.from({ length: 4 }, (_, i) => Buffer.alloc(1000, 65 + i));
      await ctx.artifacts.put('data.bin', Readable.from(chunks), { contentType: 'application/x-test' });
      if (big) await ctx.artifacts.put('too-big.bin', Buffer.alloc(5000));
      return { artifacts: ['hello.txt', 'data.bin'] };
    });
  });
  afterEach(async () => {
    await live.close();
  });

  it('stores what an in-process handler puts and serves it to the owner, by range and by signed link', async () => {
    const id = await submit('render');
    expect(await finished(id)).toMatchObject({ status: 'completed' });
    const { status, body } = await list(id);
    expect(status).toBe(200);
    expect(body.items.map((a) => [a.name, a.size, a.contentType])).toEqual([
      ['data.bin', 4000, 'application/x-test'],
      ['hello.txt', 12, 'text/plain; charset=utf-8'],
    ]);
    const hello = body.items[1]!;
    expect(hello.sha256).toBe(sha('hello, world'));

    const whole = await api(`/jobs/${id}/artifacts/hello.txt`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(whole.headers.get('content-length')).toBe('12');
    expect(whole.headers.get('etag')).toBe(`"${hello.sha256}"`);
    expect(await whole.text()).toBe('hello, world');

    const part = await api(`/jobs/${id}/artifacts/data.bin`, { headers: { range: 'bytes=998-1001' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 998-1001/4000');
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe('AABB');
    const past = await api(`/jobs/${id}/artifacts/data.bin`, { headers: { range: 'bytes=4000-' } });
    expect(past.status).toBe(416);
    expect(((await past.json()) as { error: { code: string } }).error.code).toBe(
      'JOBGATE_ERR_RANGE_NOT_SATISFIABLE',
    );
    const cached = await api(`/jobs/${id}/artifacts/hello.txt`, {
      headers: { 'if-none-match': `"${hello.sha256}"` },
    });
    expect(cached.status).toBe(304);

    // The signed link needs no key; a changed path or signature is 404, an old one 410.
    const signed = await fetch(hello.url);
    expect(signed.status).toBe(200);
    expect(await signed.text()).toBe('hello, world');
    expect((await fetch(hello.url.replace('hello.txt', 'data.bin'))).status).toBe(404);
    expect((await fetch(hello.url.replace(/sig=./, 'sig=A'))).status).toBe(404);
    const secret = readFileSync(join(dataDir, 'link-secret'), 'utf8').trim();
    const old = new SignedLinks(Buffer.from(secret), 60, () => Date.now() - 3_600_000).sign(id, 'hello.txt');
    const expired = await fetch(`${live.url}${old.path}`);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe(
      'JOBGATE_ERR_LINK_EXPIRED',
    );
    expect((await fetch(`${live.url}/api/v1/jobs/${id}/artifacts/hello.txt`)).status).toBe(401);
  });

  it('shows a tenant only its own jobs’ artifacts: another tenant gets 404', async () => {
    const acme = await live.createKey('tenant', 'acme');
    const globex = await live.createKey('tenant', 'globex');
    const id = await submit('render', acme);
    await finished(id);
    expect((await list(id, acme)).body.items).toHaveLength(2);
    expect((await list(id, globex)).status).toBe(404);
    expect((await api(`/jobs/${id}/artifacts/hello.txt`, {}, globex)).status).toBe(404);
    const counts = async (key: string) =>
      ((await (await api(`/artifact-counts?ids=${id},nope`, {}, key)).json()) as { counts: object }).counts;
    expect(await counts(acme)).toEqual({ [id]: 2 });
    expect(await counts(globex)).toEqual({});
  });

  it('fails a handler whose artifacts pass the per-artifact limit, keeping nothing of the refused one', async () => {
    const id = await submit('render', liveAdminKey, { big: true });
    const job = (await finished(id)) as { status: string; error?: { message: string } };
    expect(job.status).not.toBe('completed');
    expect((await list(id)).body.items.map((a) => a.name)).toEqual(['data.bin', 'hello.txt']);
  });

  describe('remote uploads', () => {
    const lease = async (queue: string) => {
      const workerKey = await live.createKey('worker');
      const worker = (await (
        await api(
          '/workers',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ queues: [queue] }),
          },
          workerKey,
        )
      ).json()) as { worker: { id: string } };
      const id = await submit(queue);
      const leased = (await (
        await api(
          `/workers/${worker.worker.id}/lease`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ max: 1 }),
          },
          workerKey,
        )
      ).json()) as { jobs: Array<{ id: string; leaseToken: string }> };
      expect(leased.jobs[0]?.id).toBe(id);
      const token = leased.jobs[0]!.leaseToken;
      const put = (name: string, body: BodyInit, headers: Record<string, string> = {}, leaseToken = token) =>
        api(
          `/workers/${worker.worker.id}/jobs/${id}/artifacts/${name}`,
          {
            method: 'PUT',
            headers: { 'x-lease-token': leaseToken, 'content-type': 'image/png', ...headers },
            body,
            duplex: 'half',
          } as RequestInit,
          workerKey,
        );
      return { id, token, workerId: worker.worker.id, workerKey, put };
    };
    const code = async (response: Response) =>
      ((await response.json()) as { error: { code: string } }).error.code;

    it('stores a streamed upload fenced by the lease token; a stale token is 409', async () => {
      const { id, token, workerId, workerKey, put } = await lease('remote');
      const created = await put('frame.png', 'not really a png');
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ name: 'frame.png', size: 16, contentType: 'image/png' });
      const stale = await put('other.png', 'x', {}, 'not-the-token');
      expect(stale.status).toBe(409);
      expect(await code(stale)).toBe('JOBGATE_ERR_LEASE_LOST');
      await api(
        `/workers/${workerId}/jobs/${id}/complete`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token, result: {} }),
        },
        workerKey,
      );
      const late = await put('late.png', 'x');
      expect(late.status).toBe(409);
      expect((await list(id)).body.items.map((a) => a.name)).toEqual(['frame.png']);
    });

    it('answers 413 past the per-artifact and per-job limits, and 400 for bad names', async () => {
      const { id, put } = await lease('remote');
      const declared = await put('a.bin', Buffer.alloc(5000));
      expect(declared.status).toBe(413);
      expect(await code(declared)).toBe('JOBGATE_ERR_ARTIFACT_TOO_LARGE');
      // No Content-Length: stopped by counting, mid-stream.
      const streamed = await put(
        'a.bin',
        Readable.toWeb(Readable.from([Buffer.alloc(3000), Buffer.alloc(3000)])) as BodyInit,
      );
      expect(streamed.status).toBe(413);
      expect((await put('a.bin', Buffer.alloc(4000))).status).toBe(201);
      const overJob = await put('b.bin', Buffer.alloc(2001));
      expect(overJob.status).toBe(413);
      expect(await overJob.json()).toMatchObject({ error: { details: { roomBytes: 2000 } } });
      for (const bad of ['a%2Fb', 'a%5Cb', 'x%00y', 'tab%09', '%20lead'])
        expect([bad, await code(await put(bad, 'x'))]).toEqual([bad, 'JOBGATE_ERR_ARTIFACT_NAME_INVALID']);
      expect((await list(id)).body.items.map((a) => [a.name, a.size])).toEqual([['a.bin', 4000]]);
      const files = readdirSync(join(dataDir, 'artifacts', id));
      expect(files).toHaveLength(1);
    });

    it('deletes the artifacts of a job the queue’s clear removed', async () => {
      const { id, token, workerId, workerKey, put } = await lease('remote');
      expect((await put('frame.png', 'x')).status).toBe(201);
      await api(
        `/workers/${workerId}/jobs/${id}/release`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) },
        workerKey,
      );
      expect((await api('/queues/remote/clear', { method: 'POST' })).status).toBe(200);
      await waitFor(() => !existsSync(join(dataDir, 'artifacts', id)), {
        message: 'the cleared job’s bytes gone',
      });
      expect(await live.server.engine.store.artifactMeta.listArtifacts(id)).toEqual([]);
    });

    it('needs the lease token header', async () => {
      const { put } = await lease('remote');
      const response = await put('a.bin', 'x', { 'x-lease-token': '' });
      expect(response.status).toBe(400);
    });
  });

  it('deletes a job’s artifacts when the purger deletes the job', async () => {
    const id = await submit('render');
    await finished(id);
    const dir = join(dataDir, 'artifacts', id);
    expect(readdirSync(dir)).toHaveLength(2);
    const { engine, artifacts } = live.server;
    await engine.store.purge({ completedBefore: Date.now() + 1, failedBefore: Date.now() + 1, limit: 10 });
    expect(await artifacts.sweepGoneJobs()).toBe(2);
    expect(existsSync(dir)).toBe(false);
    expect(await engine.store.artifactMeta.listArtifacts(id)).toEqual([]);
  });
});
