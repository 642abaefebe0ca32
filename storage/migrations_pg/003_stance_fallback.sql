-- As SQLite's 007: a stance line that failed its checks is a flag, not placeholder text.
ALTER TABLE positions ADD COLUMN stance_fallback BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE positions SET stance_fallback = TRUE, stance = NULL WHERE stance LIKE '[No stance line%';
