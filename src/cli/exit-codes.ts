/**
 * The CLI's exit codes, one meaning each (README, "CLI"), so scripts can tell a typo from
 * a missing job from a server that is away:
 *
 *   0 ok · 1 failure · 2 usage (bad flag, bad value, invalid request or configuration)
 *   3 not found · 4 conflict (a state that forbids it, a port in use) · 5 unavailable
 *   (server unreachable, store down, queue full, rate limited: retry later)
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, conflict: 4, unavailable: 5 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an API answer's HTTP status (0 for a network failure: unreachable). */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 0 || status === 429 || status === 502 || status === 503 || status === 504)
    return EXIT.unavailable;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.usage;
  return EXIT.failure;
}
