-- Files sent with an outbox message (the monthly report's charts and workbook), in the
-- order they are attached. A part with a content_id is an image the HTML body shows
-- (`cid:` URL); the others are attachments.
CREATE TABLE outbox_attachments (
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    position BIGINT NOT NULL CHECK (position >= 0),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT,
    content BYTEA NOT NULL,
    PRIMARY KEY (outbox_id, position)
);
