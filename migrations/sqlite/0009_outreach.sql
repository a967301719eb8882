-- Outreach: the addresses we write to unasked (calls for submissions), each kept only as
-- the SHA-256 of its lower-case form, as the erasure log keeps it, so that an unsubscribe
-- outlives the erasure of the address and no table here holds an address. An address's
-- row id is what its signed unsubscribe token names. Keep in step with
-- ../postgres/0009_outreach.sql.
CREATE TABLE outreach_addresses (
    id INTEGER PRIMARY KEY,
    address_sha256 TEXT NOT NULL UNIQUE,
    unsubscribed_at TEXT,
    -- How: 'reply' (an UNSUBSCRIBE reply), 'mailto' (the List-Unsubscribe address) or
    -- 'link' (the one-click link of the web server).
    unsubscribed_via TEXT CHECK (unsubscribed_via IN ('reply', 'mailto', 'link')),
    -- Failed deliveries that delivery status notifications reported: for good (hard) or
    -- for now (soft). After repeated hard bounces the address is undeliverable.
    hard_bounces INTEGER NOT NULL DEFAULT 0 CHECK (hard_bounces >= 0),
    soft_bounces INTEGER NOT NULL DEFAULT 0 CHECK (soft_bounces >= 0),
    undeliverable_at TEXT
) STRICT;

-- A call for submissions announces one matching round: running `mobmatch call` again
-- before that round writes only to recipients the call has not reached yet.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    round_date TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL
) STRICT;

CREATE TABLE call_recipients (
    call_id INTEGER NOT NULL REFERENCES calls (id),
    address_id INTEGER NOT NULL REFERENCES outreach_addresses (id),
    language TEXT NOT NULL,
    called_at TEXT NOT NULL,
    PRIMARY KEY (call_id, address_id)
) STRICT;

-- When an open listing was last asked to renew or withdraw (`mobmatch renew`); a change
-- to the listing after it (updated_at) renews it.
ALTER TABLE submissions ADD COLUMN renewal_requested_at TEXT;
