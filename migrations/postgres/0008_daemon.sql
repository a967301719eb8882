-- The daemon (issue "The daemon"): a record of every job run, and the claim a deliverer
-- puts on the outbox messages it is sending.
--
-- A scheduled run is keyed by its job and slot (the time the schedule named), so that
-- replicas sharing the database run each slot once: the first to insert the slot runs
-- it. A run for new mail (the outbox job woken early) has no slot. `outcome` is
-- 'running' until the run ends; a run whose process died stays 'running' until the next
-- holder of the job's lock marks it 'interrupted', which lets its slot run again.
CREATE TABLE job_runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job TEXT NOT NULL,
    slot TIMESTAMPTZ,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'start', 'mail queued')),
    instance TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
    counts TEXT NOT NULL,
    error TEXT,
    UNIQUE (job, slot)
);

CREATE INDEX job_runs_by_job_and_start ON job_runs (job, started_at);

-- Until this time, the outbox message is being sent by one deliverer and no other takes
-- it. NULL when nobody holds it.
ALTER TABLE outbox ADD COLUMN claimed_until TIMESTAMPTZ;
