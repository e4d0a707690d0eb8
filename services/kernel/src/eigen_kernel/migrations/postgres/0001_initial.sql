-- The kernel's schema on PostgreSQL (SPEC §14): the same tables and meaning as the SQLite
-- schema at its version 4 (migrations/sqlite/0001..0004), in one step: no PostgreSQL database
-- of an older kernel exists. Times are Unix seconds (double precision), as on SQLite, except
-- device leases, which are compared with the database's clock (one clock for every kernel).
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner TEXT NOT NULL,
    submission TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    last_event_seq BIGINT NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_summary TEXT NOT NULL DEFAULT '',
    deadline DOUBLE PRECISION,
    idempotency_key TEXT NOT NULL DEFAULT '',
    payload_hash TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 50,
    terminal SMALLINT NOT NULL DEFAULT 0,
    queued_at DOUBLE PRECISION,
    owner_kernel TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at DESC, job_id DESC);
CREATE INDEX jobs_active ON jobs (terminal) WHERE terminal = 0;
CREATE UNIQUE INDEX jobs_idem ON jobs (tenant, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX jobs_terminal_updated ON jobs (terminal, updated_at) WHERE terminal = 1;
CREATE INDEX jobs_device_active ON jobs (device_id, terminal) WHERE terminal = 0;
CREATE TABLE events (
    job_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    terminal SMALLINT NOT NULL,
    iteration BIGINT NOT NULL DEFAULT 0,
    value DOUBLE PRECISION,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE evaluations (
    job_id TEXT NOT NULL,
    iteration BIGINT NOT NULL,
    point TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    std_error DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, iteration)
);
CREATE TABLE outcomes (
    job_id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE compiled (
    job_id TEXT PRIMARY KEY,
    aqo_sha256 TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL DEFAULT '',
    metrics TEXT NOT NULL,
    parameters TEXT NOT NULL
);
CREATE INDEX compiled_aqo ON compiled (aqo_sha256);
CREATE INDEX compiled_plan ON compiled (plan_sha256) WHERE plan_sha256 <> '';
CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner TEXT NOT NULL,
    device_id TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    starts_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    ended_at DOUBLE PRECISION
);
CREATE INDEX reservations_tenant ON reservations (tenant, created_at DESC);
CREATE INDEX reservations_active ON reservations (state) WHERE state = 'ACTIVE';
CREATE TABLE device_stats (
    device_id TEXT PRIMARY KEY,
    mean_seconds DOUBLE PRECISION NOT NULL,
    samples BIGINT NOT NULL
);
CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE executions (
    job_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    vendor_job_id TEXT NOT NULL DEFAULT '',
    started_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE device_leases (
    device_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until DOUBLE PRECISION NOT NULL
);
