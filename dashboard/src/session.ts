/**
 * The signed-in key: entered once, kept in sessionStorage (gone when the tab closes,
 * never written to localStorage or a cookie). Its role is found by asking the API:
 * /usage answers any tenant or admin key, /keys answers only an admin.
 */
import { isApiError, JobgateClient } from '../../src/client/index.js';

const storageKey = 'jobgate.apiKey';

export type Role = 'admin' | 'tenant';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(storageKey);
    else sessionStorage.setItem(storageKey, key);
  } catch {
    // Storage disabled: the key lives for this page only.
  }
}

export function clientFor(key: string): JobgateClient {
  return new JobgateClient({ url: window.location.origin, key });
}

/** The key's role, or a message saying why it cannot sign in. */
export async function identify(client: JobgateClient): Promise<{ role: Role } | { error: string }> {
  try {
    await client.usage();
  } catch (error) {
    if (isApiError(error) && error.status === 401)
      return { error: 'That API key is not valid (or was revoked).' };
    if (isApiError(error) && error.status === 403)
      return { error: 'A worker key cannot use the dashboard: sign in with an admin or tenant key.' };
    return { error: `Cannot reach the server: ${(error as Error).message}` };
  }
  try {
    await client.listKeys();
    return { role: 'admin' };
  } catch (error) {
    if (isApiError(error) && error.status === 403) return { role: 'tenant' };
    return { error: `Cannot reach the server: ${(error as Error).message}` };
  }
}
