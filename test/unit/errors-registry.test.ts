import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES } from '../../src/client/errors.js';
import { ERROR_CODES } from '../../src/domain/errors.js';

describe('error registry', () => {
  const registry = Object.keys(ERROR_CODES).sort();

  it('matches the client SDK’s codes', () => {
    expect([...API_ERROR_CODES].sort()).toEqual(registry);
  });

  it('matches docs/ERRORS.md, code and status', () => {
    const doc = readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `(JOBGATE_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows.map(([code]) => code).sort()).toEqual(registry);
    for (const [code, status] of rows)
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(status);
  });

  it('gives every code a 4xx or 5xx status and a message', () => {
    for (const { status, message } of Object.values(ERROR_CODES)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(message.length).toBeGreaterThan(0);
    }
  });
});
