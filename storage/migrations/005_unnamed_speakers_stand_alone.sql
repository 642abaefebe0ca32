-- An unnamed source links to no other speaker (summarizer/speaker_links.py), not even another
-- article's same label, so its row has no name key: name_key becomes nullable (a UNIQUE
-- column holds any number of NULLs). Rebuilt as in 004, with the same ids and aliases.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE saved_speakers AS SELECT id, name, name_key, kind FROM speakers;
CREATE TEMP TABLE saved_speaker_aliases AS SELECT * FROM speaker_aliases;
DROP TABLE speakers;
CREATE TABLE speakers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    name_key        TEXT UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'person'
                    CHECK (kind IN ('person', 'organization', 'unnamed'))
);
INSERT INTO speakers (id, name, name_key, kind)
    SELECT id, name, CASE WHEN kind = 'unnamed' THEN NULL ELSE name_key END, kind
    FROM saved_speakers;
INSERT INTO speaker_aliases SELECT * FROM saved_speaker_aliases;
DROP TABLE saved_speakers;
DROP TABLE saved_speaker_aliases;
