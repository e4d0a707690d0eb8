-- Several kernels on one store (SPEC §14): each device's scheduling is owned by one kernel at
-- a time through a lease it renews; a job is claimed by the kernel that works on it, and only
-- that kernel may record its progress (a stale kernel's late step is rejected).
ALTER TABLE jobs ADD COLUMN owner_kernel TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_device_active ON jobs (device_id, terminal) WHERE terminal = 0;
CREATE TABLE device_leases (
    device_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL
) WITHOUT ROWID;
