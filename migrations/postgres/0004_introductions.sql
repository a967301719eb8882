-- Introductions by email: when both introduction emails were queued, when each side was
-- reminded (once at most), and when the sending side of a planned mobility was asked for
-- its report. Keep in step with ../sqlite/0004_introductions.sql.
ALTER TABLE introductions ADD COLUMN introduced_at TIMESTAMPTZ;
ALTER TABLE introductions ADD COLUMN host_reminded_at TIMESTAMPTZ;
ALTER TABLE introductions ADD COLUMN sender_reminded_at TIMESTAMPTZ;
ALTER TABLE mobilities ADD COLUMN completion_requested_at TIMESTAMPTZ;

-- The daily job looks for planned mobilities that have ended.
CREATE INDEX mobilities_by_status_and_end_date ON mobilities (status, end_date);
