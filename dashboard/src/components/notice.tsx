/** An API error or an outcome, announced to screen readers. */
import { isApiError } from '../../../src/client/index.js';

export function errorText(error: unknown): string {
  if (isApiError(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="note error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function Notice({ text }: { text: string | null }) {
  return (
    <p className="note info" role="status" aria-live="polite">
      {text ?? ''}
    </p>
  );
}
