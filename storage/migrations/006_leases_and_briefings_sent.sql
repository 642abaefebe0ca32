-- An article under analysis is leased: whoever claimed it holds it until lease_until, and
-- renews it while it works; an article whose lease ran out was left by a worker that died,
-- and anyone may claim it again (storage/base.py, Store.claim).
ALTER TABLE articles ADD COLUMN lease_owner TEXT;
ALTER TABLE articles ADD COLUMN lease_until TEXT;

-- One row per subscription per local day, claimed before the briefing is sent and marked
-- sent after: however many bot processes run, one of them sends it.
CREATE TABLE briefings_sent (
    chat_id         INTEGER NOT NULL REFERENCES subscriptions(chat_id) ON DELETE CASCADE,
    local_date      TEXT NOT NULL,
    claimed_by      TEXT NOT NULL,
    claimed_at      TEXT NOT NULL,
    sent_at         TEXT,
    PRIMARY KEY (chat_id, local_date)
);
