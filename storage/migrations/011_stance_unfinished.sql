-- A stance line the model had no time for at the analysis limit: its quotes stand in, as for
-- a line that failed the checks (stance_fallback), and the reply says which of the two it
-- was. Lines stored before could be either, and stay said to have failed.
ALTER TABLE positions ADD COLUMN stance_unfinished INTEGER NOT NULL DEFAULT 0;
