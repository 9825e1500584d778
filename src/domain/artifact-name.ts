/**
 * What an artifact may be called. A name is the last segment of its download URL and a
 * file name a browser may save it under, so it is one path segment of printable text:
 * no slash or backslash (no directories, no traversal), no `.`/`..`, no control
 * characters, at most 200 characters. The bytes are never stored under the name (the
 * blob store uses its own keys), so this rule is about URLs and downloads, not disks.
 */
import { JobgateError } from './errors.js';

export const artifactNameMaxLength = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly "no control characters".
const forbidden = /[/\\\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not a valid artifact name, or null when it is. */
export function artifactNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > artifactNameMaxLength) return `is longer than ${artifactNameMaxLength} characters`;
  if (name === '.' || name === '..') return 'is a relative path';
  if (forbidden.test(name)) return 'contains a slash, a backslash or a control character';
  if (name.trim() !== name) return 'starts or ends with white space';
  return null;
}

export function validateArtifactName(name: string): string {
  const problem = artifactNameProblem(name);
  if (problem)
    throw new JobgateError('JOBGATE_ERR_ARTIFACT_NAME_INVALID', `Artifact name ${problem}`, {
      details: { name: name.slice(0, artifactNameMaxLength + 1) },
    });
  return name;
}

/** The content type an upload is stored with: its own when it is a plausible media type. */
export function artifactContentType(given: string | undefined): string {
  const type = given?.trim();
  return type && /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(type) && type.length <= 200
    ? type
    : 'application/octet-stream';
}

/** `inline; filename*=UTF-8''…` (RFC 6266), with an ASCII fallback. */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
