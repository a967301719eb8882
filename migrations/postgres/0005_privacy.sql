-- Data protection: the erasure log. `mobmatch forget` writes one row per erasure: who
-- asked for it, when, and how many records it changed (JSON). The person's address is
-- kept only as the SHA-256 of its lower-case form, so that the secretariat can tell
-- whether an address was erased without the log holding the address itself.
CREATE TABLE erasures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address_sha256 TEXT NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL,
    erased_by TEXT NOT NULL,
    counts TEXT NOT NULL
);

CREATE INDEX erasures_by_address ON erasures (address_sha256);
