-- As SQLite's 008: each chat's link to an article records the telling of its end, held by
-- the bot process that shows it in place, else claimed by any one bot process.
ALTER TABLE chat_articles ADD COLUMN delivery_owner TEXT;
ALTER TABLE chat_articles ADD COLUMN delivery_until TIMESTAMPTZ;
ALTER TABLE chat_articles ADD COLUMN delivered_at TIMESTAMPTZ;
UPDATE chat_articles SET delivered_at = created_at
 WHERE article_id IN (SELECT id FROM articles WHERE state IN ('done', 'failed'));
CREATE INDEX chat_articles_undelivered ON chat_articles(article_id) WHERE delivered_at IS NULL;
