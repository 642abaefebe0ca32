-- A stance line that failed its checks is a flag, no longer a bracketed placeholder written
-- in the line's place ("[No stance line: X is quoted once; see the quotes.]"): readers had to
-- recognise it by its first character. The views write the placeholder now; stored ones
-- become the flag.
ALTER TABLE positions ADD COLUMN stance_fallback INTEGER NOT NULL DEFAULT 0;
UPDATE positions SET stance_fallback = 1, stance = NULL WHERE stance LIKE '[No stance line%';
