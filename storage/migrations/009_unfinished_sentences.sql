-- How many of a brief's sentences the model had not finished at the analysis time limit:
-- the brief keeps the ones it finished, and the reply says that the rest (labelled
-- extracts, quotes) stand in for want of time, not because they failed the checks.
ALTER TABLE analyses ADD COLUMN unfinished INTEGER NOT NULL DEFAULT 0;
