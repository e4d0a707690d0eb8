-- QRTX scheduling (SPEC §12): queue entry time (aging survives restarts), reservations,
-- measured per-device execution times; results and error records persisted with the terminal
-- event (one transaction: a late result of a cancelled job cannot appear); compiled programs
-- referenced by content hash (one blob per distinct AQO, not one file per job).
ALTER TABLE jobs ADD COLUMN queued_at REAL;
CREATE TABLE outcomes (
    job_id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE compiled (
    job_id TEXT PRIMARY KEY,
    aqo_sha256 TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL DEFAULT '',
    metrics TEXT NOT NULL,
    parameters TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX compiled_aqo ON compiled (aqo_sha256);
CREATE INDEX compiled_plan ON compiled (plan_sha256) WHERE plan_sha256 != '';
CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner TEXT NOT NULL,
    device_id TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    starts_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
) WITHOUT ROWID;
CREATE INDEX reservations_tenant ON reservations (tenant, created_at DESC);
CREATE INDEX reservations_active ON reservations (state) WHERE state = 'ACTIVE';
CREATE TABLE device_stats (
    device_id TEXT PRIMARY KEY,
    mean_seconds REAL NOT NULL,
    samples INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX jobs_terminal_updated ON jobs (terminal, updated_at) WHERE terminal = 1;
