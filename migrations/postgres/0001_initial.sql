-- mobmatch schema for PostgreSQL. Keep in step with ../sqlite/0001_initial.sql: the store
-- sends the same SQL to both backends.
--
-- Counts are BIGINT so that both backends read them as 64-bit integers. JSON is TEXT, as
-- in SQLite, because the store is its only reader. Lists of codes (fields, languages,
-- partner countries) are space-separated.

CREATE TABLE organisations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    -- The name lower-cased and trimmed, so one contact's "TKNIKA" and "Tknika " are one organisation.
    name_key TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    region TEXT NOT NULL,
    country TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (contact_email, name_key)
);

CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL CHECK (role IN ('receiving', 'sending')),
    mobility_type TEXT NOT NULL CHECK (mobility_type IN ('vet_learner', 'apprentice', 'adult_learner', 'informal_learner', 'staff_job_shadowing', 'study_visit')),
    fields TEXT NOT NULL,
    participants BIGINT NOT NULL CHECK (participants >= 0),
    fewer_opportunities BIGINT NOT NULL CHECK (fewer_opportunities >= 0),
    inclusion_support BOOLEAN NOT NULL,
    earliest_start DATE NOT NULL,
    latest_end DATE NOT NULL CHECK (latest_end >= earliest_start),
    min_days BIGINT NOT NULL CHECK (min_days >= 1),
    max_days BIGINT NOT NULL CHECK (max_days >= min_days),
    languages TEXT NOT NULL,
    partner_countries TEXT NOT NULL,
    notes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unconfirmed', 'pending', 'open', 'matched', 'withdrawn', 'expired')),
    source TEXT NOT NULL CHECK (source IN ('email', 'web', 'import', 'introduction')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX submissions_by_status ON submissions (status);
CREATE INDEX submissions_by_organisation ON submissions (organisation_id);

-- The values of classification, outcome and kind belong to the mail module, so they are
-- not constrained here.
CREATE TABLE inbound_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The Message-ID, or 'sha256:<hex>' of the raw bytes when the message has none.
    message_id TEXT NOT NULL UNIQUE,
    raw_sha256 TEXT NOT NULL,
    sender TEXT,
    subject TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    classification TEXT NOT NULL,
    outcome TEXT NOT NULL,
    kind TEXT,
    reference TEXT,
    errors TEXT NOT NULL,
    -- Nullable so that the retention job can drop the bytes and keep the record.
    raw BYTEA,
    cut_off_text TEXT
);

CREATE INDEX inbound_messages_by_received_at ON inbound_messages (received_at);

CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    headers TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_answer TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);

CREATE INDEX outbox_by_status_and_next_attempt ON outbox (status, next_attempt_at);

CREATE TABLE rounds (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    duration_ms BIGINT NOT NULL CHECK (duration_ms >= 0),
    parameters TEXT NOT NULL,
    offers BIGINT NOT NULL CHECK (offers >= 0),
    requests BIGINT NOT NULL CHECK (requests >= 0),
    candidates BIGINT NOT NULL CHECK (candidates >= 0),
    introductions BIGINT NOT NULL CHECK (introductions >= 0),
    total_score DOUBLE PRECISION NOT NULL
);

CREATE TABLE introductions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    offer_id BIGINT NOT NULL REFERENCES submissions (id),
    request_id BIGINT NOT NULL REFERENCES submissions (id),
    score DOUBLE PRECISION NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'introduced', 'accepted', 'declined', 'expired')),
    host_answer TEXT CHECK (host_answer IN ('accept', 'decline')),
    host_answered_at TIMESTAMPTZ,
    sender_answer TEXT CHECK (sender_answer IN ('accept', 'decline')),
    sender_answered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- A pair is never introduced twice.
    UNIQUE (offer_id, request_id),
    CHECK (offer_id <> request_id),
    CHECK ((host_answer IS NULL) = (host_answered_at IS NULL)),
    CHECK ((sender_answer IS NULL) = (sender_answered_at IS NULL))
);

CREATE INDEX introductions_by_status ON introductions (status);
CREATE INDEX introductions_by_request ON introductions (request_id);
CREATE INDEX introductions_by_round ON introductions (round_id);

CREATE TABLE mobilities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sending_organisation TEXT NOT NULL,
    sending_region TEXT NOT NULL,
    receiving_organisation TEXT NOT NULL,
    receiving_region TEXT,
    receiving_country TEXT NOT NULL,
    mobility_type TEXT NOT NULL CHECK (mobility_type IN ('vet_learner', 'apprentice', 'adult_learner', 'informal_learner', 'staff_job_shadowing', 'study_visit')),
    participants BIGINT NOT NULL CHECK (participants >= 0),
    fewer_opportunities BIGINT NOT NULL CHECK (fewer_opportunities >= 0),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL CHECK (end_date >= start_date),
    status TEXT NOT NULL CHECK (status IN ('planned', 'completed', 'cancelled')),
    introduction_id BIGINT REFERENCES introductions (id),
    source TEXT NOT NULL CHECK (source IN ('email', 'web', 'import', 'introduction')),
    -- The stable identity of an imported CSV row, so that importing a file twice adds nothing.
    import_key TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX mobilities_by_start_date ON mobilities (start_date);
CREATE INDEX mobilities_by_introduction ON mobilities (introduction_id);

CREATE TABLE population (
    region TEXT NOT NULL,
    year INTEGER NOT NULL,
    vet_learners BIGINT NOT NULL CHECK (vet_learners >= 0),
    ivet_graduates BIGINT CHECK (ivet_graduates >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, year)
);
