/** Migration 9: webhook subscriptions, their deliveries, job callbacks and the sweep's marks. */
export const webhookMigration: { version: number; name: string; sql: string } = {
  version: 9,
  name: '0009_webhooks',
  sql: `
-- One row per subscription; the record is its JSON, enabled kept beside it for the claim.
CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions(owner, created_at);
-- One row per message; lease_* are set while a dispatcher sends it.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  event TEXT NOT NULL,
  job_id TEXT,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  lease_token TEXT,
  last_attempt_at INTEGER,
  response_code INTEGER,
  duration_ms INTEGER,
  response TEXT,
  error TEXT,
  history TEXT NOT NULL DEFAULT '[]'
);
-- The claim's fair dispatch: due deliveries by time, expired leases by time, and per
-- endpoint its due and in-flight ones.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_lease ON webhook_deliveries(lease_until) WHERE status = 'sending';
CREATE INDEX webhook_deliveries_open ON webhook_deliveries(endpoint, status, next_attempt_at)
  WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_flying ON webhook_deliveries(endpoint, lease_until) WHERE status = 'sending';
-- A subscription's delivery log, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(subscription_id, created_at, id);
-- Finished deliveries by age (pruning).
CREATE INDEX webhook_deliveries_age ON webhook_deliveries(created_at)
  WHERE status IN ('delivered', 'failed');
CREATE TABLE webhook_callbacks (job_id TEXT PRIMARY KEY, url TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX webhook_callbacks_age ON webhook_callbacks(created_at);
CREATE TABLE webhook_marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`,
};
