-- Executions on asynchronous devices (vendor QPUs, SPEC §13): the vendor job a job runs as,
-- kept so that a restarted kernel re-attaches to it instead of submitting it again.
CREATE TABLE executions (
    job_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    vendor_job_id TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL
) WITHOUT ROWID;
