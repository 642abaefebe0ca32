-- As SQLite's 009: a brief's sentences the model had not finished at the time limit.
ALTER TABLE analyses ADD COLUMN unfinished INTEGER NOT NULL DEFAULT 0;
