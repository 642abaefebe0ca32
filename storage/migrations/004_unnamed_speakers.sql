-- An unnamed source ('unnamed: senior administration official') is a speaker of its own kind.
-- SQLite cannot change a CHECK in place, so the table is rebuilt with the same ids. Dropping
-- it cascades to speaker_aliases (saved and put back) and leaves positions pointing at ids
-- that the new table holds again before the deferred foreign-key check at COMMIT.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE saved_speakers AS SELECT id, name, name_key, kind FROM speakers;
CREATE TEMP TABLE saved_speaker_aliases AS SELECT * FROM speaker_aliases;
DROP TABLE speakers;
CREATE TABLE speakers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'person'
                    CHECK (kind IN ('person', 'organization', 'unnamed'))
);
INSERT INTO speakers (id, name, name_key, kind) SELECT id, name, name_key, kind FROM saved_speakers;
INSERT INTO speaker_aliases SELECT * FROM saved_speaker_aliases;
DROP TABLE saved_speakers;
DROP TABLE saved_speaker_aliases;
