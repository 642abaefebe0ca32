-- As SQLite's 011: a stance line the model had no time for at the analysis limit.
ALTER TABLE positions ADD COLUMN stance_unfinished BOOLEAN NOT NULL DEFAULT FALSE;
