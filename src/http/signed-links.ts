/**
 * Signed, expiring artifact links: `…/jobs/<id>/artifacts/<name>?exp=<unix s>&sig=<mac>`,
 * where mac = base64url(HMAC-SHA256(secret, "<canonical path>\n<exp>")). The canonical
 * path is rebuilt from the decoded job id and name, so any spelling of the same URL
 * verifies and no other path does. Anyone holding the link may read that one artifact
 * until `exp`; nothing else is granted, and the server secret never leaves the server.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function artifactPath(jobId: string, name: string): string {
  return `/api/v1/jobs/${encodeURIComponent(jobId)}/artifacts/${encodeURIComponent(name)}`;
}

export class SignedLinks {
  constructor(
    private readonly secret: Buffer,
    readonly ttlSec: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (secret.length < 16) throw new Error('the link secret must be at least 16 bytes');
  }

  private mac(path: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`${path}\n${exp}`).digest('base64url');
  }

  /** The path and query of a link to the artifact, valid for ttlSec from now. */
  sign(jobId: string, name: string): { path: string; expiresAt: number } {
    const exp = Math.floor(this.clock() / 1000) + this.ttlSec;
    const path = artifactPath(jobId, name);
    return { path: `${path}?exp=${exp}&sig=${this.mac(path, exp)}`, expiresAt: exp * 1000 };
  }

  /** 'valid', 'expired' (a true signature past its time) or 'invalid'. */
  verify(jobId: string, name: string, exp: string, sig: string): 'valid' | 'expired' | 'invalid' {
    if (!/^\d{1,12}$/.test(exp)) return 'invalid';
    const expected = Buffer.from(this.mac(artifactPath(jobId, name), Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(exp) * 1000 < this.clock() ? 'expired' : 'valid';
  }
}
