-- A chat's link to an article is also the record of telling that chat how the article ended,
-- so the telling survives the process that took the article: a bot process that shows the
-- end in place holds the link (delivery_owner, renewed until delivery_until); an ended
-- article whose link nobody holds is claimed by any bot process, sent as a new message and
-- marked delivered, once (storage/base.py, Store.claim_deliveries).
ALTER TABLE chat_articles ADD COLUMN delivery_owner TEXT;
ALTER TABLE chat_articles ADD COLUMN delivery_until TEXT;
ALTER TABLE chat_articles ADD COLUMN delivered_at TEXT;
-- articles that ended before this release were told then (or by nobody, as it was)
UPDATE chat_articles SET delivered_at = created_at
 WHERE article_id IN (SELECT id FROM articles WHERE state IN ('done', 'failed'));
CREATE INDEX chat_articles_undelivered ON chat_articles(article_id) WHERE delivered_at IS NULL;
