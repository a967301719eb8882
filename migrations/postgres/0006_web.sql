-- Web: the secretariat's admin password (an argon2 hash in PHC format; at most one row),
-- and an index to find unconfirmed web submissions by age, to expire them.
CREATE TABLE admin_password (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    hash TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX submissions_by_status_and_created_at ON submissions (status, created_at);
