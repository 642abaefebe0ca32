-- As SQLite's 010: the edition of the positions rules an analysis was read under.
ALTER TABLE analyses ADD COLUMN positions_rules TEXT;
