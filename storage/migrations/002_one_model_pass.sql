-- The summary and the stance lines are now written in one batched model pass, timed as
-- summary_s; a separate stance time no longer exists.
ALTER TABLE analyses DROP COLUMN stances_s;
