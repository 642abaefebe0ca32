-- The edition of the positions rules an analysis was read under (summarizer/rules.py): one
-- read under another edition is read again from its stored text when it is next shown, so
-- a rule fixed since (a speaker who is no person) no longer stays wrong in stored articles.
-- NULL: stored before editions were kept, so read again too.
ALTER TABLE analyses ADD COLUMN positions_rules TEXT;
