-- The kernel's first schema (jobs, their events, hybrid evaluations).
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner TEXT NOT NULL,
    submission TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_event_seq INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_summary TEXT NOT NULL DEFAULT '',
    deadline REAL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    payload_hash TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 50,
    terminal INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_tenant_created ON jobs (tenant, created_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (terminal) WHERE terminal = 0;
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs (tenant, idempotency_key)
    WHERE idempotency_key != '';
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL,
    message TEXT NOT NULL,
    ts REAL NOT NULL,
    terminal INTEGER NOT NULL,
    iteration INTEGER NOT NULL DEFAULT 0,
    value REAL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evaluations (
    job_id TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    point TEXT NOT NULL,
    value REAL NOT NULL,
    std_error REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, iteration)
) WITHOUT ROWID;
