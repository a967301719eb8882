-- Mail: per-sender reply limits count the outbox messages queued to one address in the
-- last hour (answers have a single recipient, stored as the JSON list '["address"]').
CREATE INDEX outbox_by_recipients_and_created_at ON outbox (recipients, created_at);
