-- A speaker row links name forms across every chat's articles, so its name may come from
-- another chat ('Ingrid Halvorsen' where this chat's article only says 'Halvorsen'). Each
-- position keeps the name its own article gave; rows from before keep today's name.
ALTER TABLE positions ADD COLUMN name TEXT;
UPDATE positions SET name = (SELECT name FROM speakers WHERE speakers.id = positions.speaker_id);
