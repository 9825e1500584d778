/**
 * Numbered migrations, applied in order inside one transaction each and recorded in
 * `schema_migrations`. Never edit a shipped migration: add the next number.
 */
import { artifactMigration } from './artifact-migration.js';
import { webhookMigration } from './webhook-migration.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: '0001_init',
    sql: `
-- One row per job. seq orders FIFO and is the list cursor; id is the public id.
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  eff_priority INTEGER NOT NULL,          -- priority shifted by the owner's tier boost
  payload TEXT,
  result TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  timeout_ms INTEGER,
  progress_percent REAL NOT NULL DEFAULT 0,
  progress_stage TEXT,
  progress_message TEXT,
  owner TEXT NOT NULL,
  project TEXT NOT NULL DEFAULT '',       -- '' = no project
  parent_id TEXT,
  root_id TEXT,
  depth INTEGER NOT NULL DEFAULT 0,
  granted_iterations INTEGER NOT NULL DEFAULT 0, -- on a root job: confirmed extra iterations
  iteration_allowance INTEGER,            -- deepest depth this job's chain may reach unconfirmed; null = unlimited
  created_at INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  worker_id TEXT,
  lease_token TEXT,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
-- Head of a (queue, owner, project) group: strict priority, then FIFO.
CREATE INDEX jobs_group_head ON jobs(queue, owner, project, status, eff_priority, seq);
-- Due scheduled jobs for the promoter.
CREATE INDEX jobs_due ON jobs(run_at) WHERE status = 'scheduled';
-- Expired leases for the reaper.
CREATE INDEX jobs_lease ON jobs(lease_expires_at) WHERE status = 'running';
-- Retention for the purger.
CREATE INDEX jobs_finished ON jobs(status, finished_at) WHERE finished_at IS NOT NULL;
-- Listing newest first, by queue / status / owner.
CREATE INDEX jobs_queue_status ON jobs(queue, status, seq);
CREATE INDEX jobs_status ON jobs(status, seq);
-- Statistics: a queue's finished jobs by time.
CREATE INDEX jobs_queue_finished ON jobs(queue, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_owner ON jobs(owner, seq);

-- Per-queue settings and running counters. vtime is the fair-queueing virtual clock.
CREATE TABLE queues (
  name TEXT PRIMARY KEY,
  max_workers INTEGER,
  max_queued INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  vtime REAL NOT NULL DEFAULT 0,
  running INTEGER NOT NULL DEFAULT 0
);

-- Job counts per (queue, status), kept in the same transaction as every transition.
CREATE TABLE status_counts (
  queue TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, status)
);

-- The ready set: one row per (queue, owner, project) with queued jobs. A claim pops the
-- lowest ready head_key; a group whose owner or project is at its limit has ready = 0.
CREATE TABLE job_groups (
  gid INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  owner TEXT NOT NULL,
  project TEXT NOT NULL,
  vstart REAL NOT NULL,
  head_key REAL NOT NULL,
  ready INTEGER NOT NULL,
  UNIQUE (queue, owner, project)
);
CREATE INDEX job_groups_ready ON job_groups(queue, ready, head_key, gid);
CREATE INDEX job_groups_owner ON job_groups(owner, project);

-- Owner limits (from the tier at the last admission) and its running count across queues.
CREATE TABLE owners (
  owner TEXT PRIMARY KEY,
  running INTEGER NOT NULL DEFAULT 0,
  max_running INTEGER,
  max_per_project INTEGER,
  boost INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE projects (
  owner TEXT NOT NULL,
  project TEXT NOT NULL,
  running INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (owner, project)
);

-- Daily usage per owner; day = floor((t - resetOffset) / 86400000).
CREATE TABLE daily_usage (
  owner TEXT NOT NULL,
  day INTEGER NOT NULL,
  jobs INTEGER NOT NULL DEFAULT 0,
  iterations INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (owner, day)
);

-- Idempotency keys per owner, kept until expires_at.
CREATE TABLE idempotency (
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  job_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (owner, key)
);
`,
  },
  {
    version: 2,
    name: '0002_keys_and_rate_limits',
    sql: `
-- API keys: only a SHA-256 of the secret is kept; prefix (public) finds the row.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  owner TEXT NOT NULL,
  role TEXT NOT NULL,
  tier TEXT NOT NULL,
  name TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

-- Token buckets for rate limits: tokens as of updated_at.
CREATE TABLE rate_buckets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    version: 3,
    name: '0003_workers',
    sql: `
-- The worker registry: one row per worker process, refreshed by its heartbeats.
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  queues TEXT NOT NULL,        -- JSON array
  concurrency INTEGER NOT NULL,
  labels TEXT NOT NULL,        -- JSON object
  version TEXT,
  state TEXT NOT NULL,
  running INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
`,
  },
  {
    version: 4,
    name: '0004_per_queue_limits',
    sql: `
-- Concurrency limits hold per queue: each queue is its own worker pool, and on Redis every
-- key a claim touches lives under the queue's hash tag. The owner and project counters
-- move to (queue, owner) and (queue, owner, project), rebuilt from the running jobs.

-- One row per (queue, owner): its running jobs in that queue and the limits of its tier
-- as of its last admission to that queue (copied here from the former per-owner row).
CREATE TABLE owners_by_queue (
  queue TEXT NOT NULL,
  owner TEXT NOT NULL,
  running INTEGER NOT NULL DEFAULT 0,
  max_running INTEGER,
  max_per_project INTEGER,
  boost INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, owner)
);
INSERT INTO owners_by_queue (queue, owner, running, max_running, max_per_project, boost)
  SELECT j.queue, j.owner, j.running, o.max_running, o.max_per_project, COALESCE(o.boost, 0)
  FROM (SELECT queue, owner, SUM(status = 'running') AS running FROM jobs GROUP BY queue, owner) j
  LEFT JOIN owners o ON o.owner = j.owner;
DROP TABLE owners;
ALTER TABLE owners_by_queue RENAME TO owners;

-- One row per (queue, owner, project) that has run a job: its running jobs in that queue.
CREATE TABLE projects_by_queue (
  queue TEXT NOT NULL,
  owner TEXT NOT NULL,
  project TEXT NOT NULL,
  running INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, owner, project)
);
INSERT INTO projects_by_queue (queue, owner, project, running)
  SELECT queue, owner, project, COUNT(*) FROM jobs WHERE status = 'running' GROUP BY queue, owner, project;
DROP TABLE projects;
ALTER TABLE projects_by_queue RENAME TO projects;

-- Parking and unparking now look up an owner's groups within one queue, which the
-- UNIQUE (queue, owner, project) index serves; the cross-queue owner index has no reader.
DROP INDEX job_groups_owner;

-- Re-judge every group under the per-queue counts: park those at a limit in their queue,
-- and return the others to the ready set with vstart lifted to the queue's clock (as a
-- freed slot does), so a group parked by another queue's jobs is not stranded.
UPDATE job_groups SET ready = 0
  WHERE ready = 1 AND EXISTS (
    SELECT 1 FROM owners o WHERE o.queue = job_groups.queue AND o.owner = job_groups.owner AND (
      (o.max_running IS NOT NULL AND o.running >= o.max_running) OR
      (job_groups.project != '' AND o.max_per_project IS NOT NULL AND
        COALESCE((SELECT p.running FROM projects p WHERE p.queue = job_groups.queue
          AND p.owner = job_groups.owner AND p.project = job_groups.project), 0) >= o.max_per_project)));
UPDATE job_groups SET
    head_key = head_key + (MAX(vstart, COALESCE((SELECT vtime FROM queues WHERE name = job_groups.queue), 0)) - vstart),
    vstart = MAX(vstart, COALESCE((SELECT vtime FROM queues WHERE name = job_groups.queue), 0)),
    ready = 1
  WHERE ready = 0 AND NOT EXISTS (
    SELECT 1 FROM owners o WHERE o.queue = job_groups.queue AND o.owner = job_groups.owner AND (
      (o.max_running IS NOT NULL AND o.running >= o.max_running) OR
      (job_groups.project != '' AND o.max_per_project IS NOT NULL AND
        COALESCE((SELECT p.running FROM projects p WHERE p.queue = job_groups.queue
          AND p.owner = job_groups.owner AND p.project = job_groups.project), 0) >= o.max_per_project)));
`,
  },
  {
    version: 5,
    name: '0005_group_queued_counts',
    sql: `
-- Queued jobs per fair-queue group, kept by triggers so that every status path counts
-- alike: a job's place in line reads it in O(1) instead of counting its group's rows
-- (SQLite has no ranked index; the count was linear in the group's backlog).
CREATE TABLE group_queued (
  queue TEXT NOT NULL,
  owner TEXT NOT NULL,
  project TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, owner, project)
) WITHOUT ROWID;
INSERT INTO group_queued (queue, owner, project, n)
  SELECT queue, owner, project, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY queue, owner, project;

CREATE TRIGGER jobs_queued_insert AFTER INSERT ON jobs WHEN NEW.status = 'queued' BEGIN
  INSERT INTO group_queued (queue, owner, project, n) VALUES (NEW.queue, NEW.owner, NEW.project, 1)
    ON CONFLICT (queue, owner, project) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER jobs_queued_delete AFTER DELETE ON jobs WHEN OLD.status = 'queued' BEGIN
  UPDATE group_queued SET n = n - 1 WHERE queue = OLD.queue AND owner = OLD.owner AND project = OLD.project;
END;
CREATE TRIGGER jobs_queued_leave AFTER UPDATE OF status ON jobs
  WHEN OLD.status = 'queued' AND NEW.status != 'queued' BEGIN
  UPDATE group_queued SET n = n - 1 WHERE queue = OLD.queue AND owner = OLD.owner AND project = OLD.project;
END;
CREATE TRIGGER jobs_queued_enter AFTER UPDATE OF status ON jobs
  WHEN NEW.status = 'queued' AND OLD.status != 'queued' BEGIN
  INSERT INTO group_queued (queue, owner, project, n) VALUES (NEW.queue, NEW.owner, NEW.project, 1)
    ON CONFLICT (queue, owner, project) DO UPDATE SET n = n + 1;
END;
`,
  },
  {
    version: 6,
    name: '0006_tenant_scope_limits',
    sql: `
-- Tier limits with limitScope "tenant": running jobs of an owner (and of one of its
-- projects) across every queue. The counts are the sums of the per-queue rows (owners,
-- projects); these indexes make those sums a range read. A row here means the owner's
-- tier, as of its last admission, counts its limits across queues; its per-queue rows
-- then carry no limits of their own.
CREATE TABLE tenant_limits (
  owner TEXT PRIMARY KEY,
  max_running INTEGER,
  max_per_project INTEGER
);
CREATE INDEX owners_by_owner ON owners (owner);
CREATE INDEX projects_by_owner ON projects (owner, project);
`,
  },
  {
    version: 10,
    name: '0010_schedules',
    sql: `
-- Cron schedules (store/schedule-store.ts): the definition, and the latest tick handled
-- (every tick up to last_tick was fired, skipped or passed over) and job made.
CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  priority INTEGER NOT NULL,
  max_attempts INTEGER,
  timeout_ms INTEGER,
  project_id TEXT,
  owner TEXT NOT NULL,
  tier TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  overlap TEXT NOT NULL,
  missed TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_tick INTEGER NOT NULL,
  last_job_id TEXT,
  last_run_at INTEGER
);
`,
  },
  webhookMigration,
  artifactMigration,
  {
    version: 7,
    name: '0007_dynamic_queues',
    sql: `
-- Queues made by submits (store/queue-registry.ts): who made each and when it was last
-- used, so their number is capped and the idle ones are retired.
CREATE TABLE dynamic_queues (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE INDEX dynamic_queues_owner ON dynamic_queues(owner);
CREATE INDEX dynamic_queues_idle ON dynamic_queues(last_used_at);
`,
  },
  {
    version: 11,
    name: '0011_queue_policies',
    sql: `
-- Queue policies (store/queue-policy-store.ts): one row per (queue, field), value JSON.
CREATE TABLE queue_policies (
  queue TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (queue, field)
) WITHOUT ROWID;
`,
  },
  {
    version: 16,
    name: '0016_attempt_history',
    sql: `
-- A job's attempts (src/domain/attempt.ts): a JSON array of the last ones, oldest first,
-- written in the transaction that ends each lease; the count of older ones dropped.
ALTER TABLE jobs ADD COLUMN attempt_history TEXT;
ALTER TABLE jobs ADD COLUMN attempts_dropped INTEGER NOT NULL DEFAULT 0;
`,
  },
];
