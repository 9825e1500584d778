/** Which driver errors are outages (503, retry later) and which say the call may still take effect. */
import { describe, expect, it } from 'vitest';
import { asCallerError, isStoreOutage } from '../../src/store/store-errors.js';

describe('store outage errors', () => {
  it('maps every unreachable-Redis message to 503 STORE_UNAVAILABLE', () => {
    for (const message of [
      "Stream isn't writeable and enableOfflineQueue options is false",
      "Cluster isn't ready and enableOfflineQueue options is false",
      'Failed to refresh slots cache.',
      'Connection is closed.',
      'Redis is not answering: a call timed out and no PING has been answered since',
    ]) {
      expect(isStoreOutage(new Error(message)), message).toBe(true);
      const mapped = asCallerError(new Error(message));
      expect(mapped.code).toBe('JOBGATE_ERR_STORE_UNAVAILABLE');
      expect(mapped.details).toBeUndefined();
    }
  });

  it('says a timed-out call may still take effect', () => {
    const mapped = asCallerError(new Error('Command timed out'));
    expect(mapped.code).toBe('JOBGATE_ERR_STORE_UNAVAILABLE');
    expect(mapped.retryAfterSec).toBe(1);
    expect(mapped.details).toEqual({ outcome: 'unknown' });
  });

  it('keeps an unexpected error’s message out of the answer', () => {
    const mapped = asCallerError(new TypeError('x is undefined at /srv/jobgate/dist/a.js:1:2'));
    expect(mapped.code).toBe('JOBGATE_ERR_INTERNAL');
    expect(mapped.message).toBe('Internal error.');
  });
});
