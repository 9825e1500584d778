/**
 * Request bodies must be well-formed Unicode. JSON may spell a lone UTF-16 surrogate
 * (`"\ud800"`), which JavaScript holds as it is but which no UTF-8 store can: Redis
 * got it as bytes that do not decode, SQLite as U+FFFD. So a body with one is refused
 * at the door (400), the same on every store, naming the first place it occurs.
 */
import { JobgateError } from '../domain/errors.js';

/** Only a text that spells a surrogate escape can hold one: the walk is skipped otherwise. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** With the `u` flag a valid pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

export function assertWellFormed(text: string, value: unknown): void {
  if (!SURROGATE_ESCAPE.test(text)) return;
  const where = loneSurrogateAt(value, 'body');
  if (where !== null)
    throw new JobgateError(
      'JOBGATE_ERR_VALIDATION',
      `${where} is not valid Unicode: it holds a lone UTF-16 surrogate`,
      { details: { issues: [{ path: where, message: 'lone UTF-16 surrogate' }] } },
    );
}

/** Iterative, so a deeply nested body cannot overflow the stack. */
function loneSurrogateAt(root: unknown, rootPath: string): string | null {
  const pending: Array<[unknown, string]> = [[root, rootPath]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return path;
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--)
        pending.push([value[index], `${path}[${index}]`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return `${path} (a key)`;
        pending.push([item, `${path}.${key}`]);
      }
    }
  }
  return null;
}
