-- Articles are global and deduplicated by content hash; chats link to the articles they sent,
-- so twenty chats pasting the same story cost one analysis.
CREATE TABLE chats (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL
);

CREATE TABLE articles (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT,
    canonical_url   TEXT,
    title           TEXT,
    outlet          TEXT,
    published       TEXT,
    text            TEXT NOT NULL,
    content_hash    TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX articles_state ON articles(state);
CREATE INDEX articles_canonical_url ON articles(canonical_url);

CREATE TABLE chat_articles (
    chat_id         INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    submitted_by    INTEGER,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (chat_id, article_id)
);
CREATE INDEX chat_articles_article ON chat_articles(article_id);

CREATE TABLE analyses (
    article_id      INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    summary         TEXT,
    summary_fallback INTEGER NOT NULL DEFAULT 0,
    model           TEXT,
    loaded_phrases  TEXT NOT NULL DEFAULT '[]',
    positions_s     REAL NOT NULL DEFAULT 0,
    summary_s       REAL NOT NULL DEFAULT 0,
    stances_s       REAL NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

CREATE TABLE speakers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'organization'))
);

-- alias_key is summarizer.names.name_key(alias): Zelensky, Zelenskiy and Zelenskyy share one.
CREATE TABLE speaker_aliases (
    speaker_id      INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    alias           TEXT NOT NULL,
    alias_key       TEXT NOT NULL,
    PRIMARY KEY (alias_key, speaker_id)
);

CREATE TABLE positions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker_id      INTEGER NOT NULL REFERENCES speakers(id),
    ordinal         INTEGER NOT NULL,
    role            TEXT,
    aliases         TEXT NOT NULL DEFAULT '[]',
    stance          TEXT,
    UNIQUE (article_id, speaker_id)
);
CREATE INDEX positions_speaker ON positions(speaker_id);

CREATE TABLE quotes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    position_id     INTEGER NOT NULL REFERENCES positions(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('quote', 'paraphrase')),
    text            TEXT NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL
);
CREATE INDEX quotes_position ON quotes(position_id);

CREATE TABLE subscriptions (
    chat_id         INTEGER PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
    local_time      TEXT NOT NULL,
    tz              TEXT NOT NULL,
    last_sent_at    TEXT,
    created_at      TEXT NOT NULL
);

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
