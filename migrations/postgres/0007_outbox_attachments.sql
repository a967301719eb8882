-- Files sent with an outbox message (the monthly report's charts and workbook), in the
-- order they are attached. A part with a content_id is an image the HTML body shows
-- (`cid:` URL); the others are attachments. `content` is NULL once `forget` dropped it
-- for mentioning an erased person; such an attachment is left out of the message.
CREATE TABLE outbox_attachments (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    position BIGINT NOT NULL CHECK (position >= 0),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT,
    content BYTEA,
    UNIQUE (outbox_id, position)
);
