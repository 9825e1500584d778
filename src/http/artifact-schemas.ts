/** TypeBox schemas of the artifact routes (routes/artifacts.ts). */
import { Type } from 'typebox';
import { artifactNameMaxLength } from '../domain/artifact-name.js';
import { WorkerId } from './worker-schemas.js';

const JobId = Type.String({ minLength: 1, maxLength: 64 });
// The name's own rule (domain/artifact-name.ts) is checked by the service, with its own error code.
const ArtifactName = Type.String({
  minLength: 1,
  maxLength: artifactNameMaxLength + 1,
  description: 'One path segment: no slash, backslash or control characters; at most 200 characters',
});

export const ArtifactParams = Type.Object({ id: JobId, name: ArtifactName });
export const JobArtifactsParams = Type.Object({ id: JobId });
export const UploadParams = Type.Object({ workerId: WorkerId, jobId: JobId, name: ArtifactName });

export const UploadHeaders = Type.Object({
  'x-lease-token': Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'The job’s current lease token',
  }),
});

export const DownloadQuery = Type.Object({
  exp: Type.Optional(Type.String({ maxLength: 20, description: 'A signed link’s expiry (Unix seconds)' })),
  sig: Type.Optional(Type.String({ maxLength: 100, description: 'A signed link’s signature' })),
});

export const ArtifactView = Type.Object(
  {
    name: Type.String(),
    size: Type.Integer({ description: 'Bytes' }),
    contentType: Type.String(),
    sha256: Type.String({ description: 'Hex SHA-256 of the bytes (also the ETag)' }),
    createdAt: Type.String({ format: 'date-time' }),
    url: Type.String({ description: 'A signed link that downloads it without an API key until `expiresAt`' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Artifact' },
);

export const ArtifactList = Type.Object({ items: Type.Array(ArtifactView) });

export const CountsQuery = Type.Object({
  ids: Type.String({
    minLength: 1,
    maxLength: 64 * 500,
    description: 'Comma-separated job ids (at most 500)',
  }),
});

export const CountsAnswer = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer(), {
    description: 'Job id → artifacts (jobs with none left out)',
  }),
});
