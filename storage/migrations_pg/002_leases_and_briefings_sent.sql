-- As SQLite's 006: analyses leased to the worker that claimed them, and a sent-log that
-- lets one bot process of many send each day's briefing.
ALTER TABLE articles ADD COLUMN lease_owner TEXT;
ALTER TABLE articles ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX articles_claimable ON articles(id) WHERE state IN ('queued', 'running');

CREATE TABLE briefings_sent (
    chat_id         BIGINT NOT NULL REFERENCES subscriptions(chat_id) ON DELETE CASCADE,
    local_date      DATE NOT NULL,
    claimed_by      TEXT NOT NULL,
    claimed_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    PRIMARY KEY (chat_id, local_date)
);
