/**
 * A store URL as it may be printed: the password of `scheme://user:password@host` (and a
 * `password=` query parameter) becomes `***`, so banners and log lines never carry it. A
 * lone `scheme://secret@host` part is hidden too: some clients read it as the password.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/?#]*@/i, '$1***@')
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@:]+@/i, '$1***@')
    .replace(/([?&]password=)[^&]*/gi, '$1***');
}
