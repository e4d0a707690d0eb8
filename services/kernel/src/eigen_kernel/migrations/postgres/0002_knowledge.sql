-- The knowledge base (seed 004): compiled programs by compile key, kept across restarts and
-- shared by kernels; `base_key` finds which of a program's inputs are symbolic parameters.
CREATE TABLE compile_cache (
    key TEXT PRIMARY KEY,
    base_key TEXT NOT NULL,
    aqo_sha256 TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL DEFAULT '',
    metrics TEXT NOT NULL,
    parameters TEXT NOT NULL,
    used_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX compile_cache_base ON compile_cache (base_key);
CREATE INDEX compile_cache_used ON compile_cache (used_at);
CREATE INDEX compile_cache_aqo ON compile_cache (aqo_sha256);
