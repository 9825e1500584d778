/**
 * The one `Range: bytes=…` form downloads serve (RFC 9110 §14.1.2): a single range,
 * `a-b`, `a-` or the suffix `-n`. Several ranges, other units or a malformed header are
 * ignored (the whole body, 200), as the RFC allows; a range starting past the end is
 * unsatisfiable (416).
 */
import type { ByteRange } from '../artifacts/blob-store.js';

export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
