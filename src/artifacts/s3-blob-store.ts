/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph): object `<prefix><jobId>/<key>`.
 * Uploads stream through @aws-sdk/lib-storage (multipart in parts of `partBytes`, at
 * most `queueSize` parts in memory at once, so a 500 MB video holds ~20 MB); reads
 * stream the GetObject body, with a Range when asked.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from '../domain/artifact-name.js';
import { JobgateError } from '../domain/errors.js';
import {
  type BlobEntry,
  type BlobPut,
  type BlobRead,
  type BlobRef,
  type BlobStore,
  type BlobWritten,
  type ByteRange,
  blobNotFound,
  blobStoreUnavailable,
  checkSegment,
} from './blob-store.js';
import { DigestStream } from './digest-stream.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Omit for AWS; e.g. http://127.0.0.1:9000 for MinIO. */
  endpoint?: string;
  region: string;
  /** Path-style URLs (`endpoint/bucket/key`), as MinIO and most local servers need. */
  forcePathStyle: boolean;
  /** Omit to use the AWS default chain (env AWS_ACCESS_KEY_ID…, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Object key prefix, e.g. `jobgate/`. */
  prefix: string;
  partBytes?: number;
  queueSize?: number;
}

const partBytesDefault = 5 * 1024 * 1024;

export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  readonly client: S3Client;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Checksums only where S3 requires them: S3-compatible servers (MinIO, R2, s3rver) differ on the newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Retries of a failed request belong to the caller (a worker retries its upload).
      maxAttempts: 2,
    });
  }

  private objectKey({ jobId, key }: BlobRef): string {
    return `${this.jobPrefix(jobId)}${checkSegment('key', key)}`;
  }

  private jobPrefix(jobId: string): string {
    return `${this.options.prefix}${checkSegment('jobId', jobId)}/`;
  }

  async put(request: BlobPut): Promise<BlobWritten> {
    const digest = new DigestStream(request.maxBytes);
    const body = request.body.pipe(digest);
    request.body.once('error', (error) => digest.destroy(error));
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.options.bucket,
        Key: this.objectKey(request),
        Body: body,
        ContentType: request.contentType,
      },
      partSize: this.options.partBytes ?? partBytesDefault,
      queueSize: this.options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    // A stream that fails (too large, the uploader hung up) must stop the upload too.
    let streamError: unknown = null;
    digest.once('error', (error) => {
      streamError = error;
      upload.abort().catch(() => {});
    });
    try {
      await upload.done();
    } catch (error) {
      if (streamError) throw streamError;
      throw s3Failure(error, request);
    }
    if (streamError) throw streamError;
    return { size: digest.bytes, sha256: digest.digest() };
  }

  async get(request: BlobRef & { range?: ByteRange }): Promise<BlobRead> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(request),
          Range: request.range ? `bytes=${request.range.start}-${request.range.end}` : undefined,
        }),
      );
      const size = answer.ContentRange
        ? Number(answer.ContentRange.split('/')[1])
        : Number(answer.ContentLength ?? 0);
      return { body: answer.Body as Readable, size };
    } catch (error) {
      throw s3Failure(error, request);
    }
  }

  async head(ref: BlobRef): Promise<{ size: number; modifiedAt: number } | null> {
    try {
      const answer = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(ref) }),
      );
      return { size: Number(answer.ContentLength ?? 0), modifiedAt: answer.LastModified?.getTime() ?? 0 };
    } catch (error) {
      const failure = s3Failure(error, ref);
      if (failure.code === 'JOBGATE_ERR_ARTIFACT_NOT_FOUND') return null;
      throw failure;
    }
  }

  async list({ jobId }: { jobId: string }): Promise<BlobEntry[]> {
    const prefix = this.jobPrefix(jobId);
    const entries: BlobEntry[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          entries.push({
            key: object.Key.slice(prefix.length),
            size: Number(object.Size ?? 0),
            modifiedAt: object.LastModified?.getTime() ?? 0,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Failure(error, { jobId, key: '' });
    }
    return entries.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async jobs(): Promise<string[]> {
    const jobs: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.options.prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const id = common.Prefix?.slice(this.options.prefix.length, -1);
          if (id) jobs.push(id);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Failure(error, { jobId: '', key: '' });
    }
    return jobs.sort();
  }

  async delete(ref: BlobRef): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(ref) }),
      );
    } catch (error) {
      const failure = s3Failure(error, ref);
      if (failure.code !== 'JOBGATE_ERR_ARTIFACT_NOT_FOUND') throw failure;
    }
  }

  async deleteJob({ jobId }: { jobId: string }): Promise<number> {
    const entries = await this.list({ jobId });
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      try {
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.options.bucket,
            Delete: { Objects: batch.map((entry) => ({ Key: this.objectKey({ jobId, key: entry.key }) })) },
          }),
        );
      } catch (error) {
        throw s3Failure(error, { jobId, key: '' });
      }
    }
    return entries.length;
  }

  presignedUrl(
    ref: BlobRef & { expiresSec: number; contentType: string; fileName: string },
  ): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.options.bucket,
        Key: this.objectKey(ref),
        ResponseContentType: ref.contentType,
        ResponseContentDisposition: contentDisposition('inline', ref.fileName),
      }),
      { expiresIn: ref.expiresSec },
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function s3Failure(error: unknown, ref: BlobRef): JobgateError {
  if (error instanceof JobgateError) return error;
  const named = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = named.$metadata?.httpStatusCode;
  if (named.name === 'NoSuchKey' || named.name === 'NotFound' || status === 404) return blobNotFound(ref);
  return blobStoreUnavailable(error);
}
