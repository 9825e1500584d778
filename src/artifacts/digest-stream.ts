/**
 * A pass-through that hashes and counts what flows through it, and fails the stream
 * with JOBGATE_ERR_ARTIFACT_TOO_LARGE the moment the count passes its limit — so an
 * over-large upload stops at the limit, not at its end.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { JobgateError } from '../domain/errors.js';

export function tooLarge(limitBytes: number): JobgateError {
  return new JobgateError(
    'JOBGATE_ERR_ARTIFACT_TOO_LARGE',
    `The artifact is over its limit of ${limitBytes} bytes`,
    {
      details: { limitBytes },
    },
  );
}

export class DigestStream extends Transform {
  /** Bytes so far (not `size`: lib-storage reads a body's `size` as its length). */
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number | null) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== null && this.bytes > this.maxBytes) {
      done(tooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
