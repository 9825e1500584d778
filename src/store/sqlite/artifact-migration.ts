/** Migration 8: artifact metadata (store/artifact-meta.ts, sqlite/artifact-meta.ts). */
export const artifactMigration: { version: number; name: string; sql: string } = {
  version: 8,
  name: '0008_artifacts',
  sql: `
-- One row per artifact (see store/artifact-meta.ts). No foreign key to jobs: a purged
-- job's rows stay until the artifact sweep has deleted their bytes.
CREATE TABLE artifacts (
  job_id TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
`,
};
