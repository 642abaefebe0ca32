-- The schema SQLite reaches at its migration 005, in PostgreSQL's own types: articles are
-- global and deduplicated by content hash, chats link to the articles they sent.
CREATE TABLE chats (
    id              BIGINT PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE articles (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT,
    canonical_url   TEXT,
    title           TEXT,
    outlet          TEXT,
    published       DATE,
    text            TEXT NOT NULL,
    content_hash    TEXT NOT NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    -- 'simple': no stemming, so a word is found by its prefix as FTS5 finds it in SQLite
    search          TSVECTOR GENERATED ALWAYS AS (
                        to_tsvector('simple', coalesce(title, '') || ' ' || text)
                    ) STORED
);
CREATE INDEX articles_state ON articles(state);
CREATE INDEX articles_url ON articles(url);
CREATE INDEX articles_canonical_url ON articles(canonical_url);
CREATE INDEX articles_search ON articles USING GIN (search);

CREATE TABLE chat_articles (
    chat_id         BIGINT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    article_id      BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    submitted_by    BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chat_id, article_id)
);
CREATE INDEX chat_articles_article ON chat_articles(article_id);

CREATE TABLE analyses (
    article_id      BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    summary         TEXT,
    summary_fallback BOOLEAN NOT NULL DEFAULT FALSE,
    model           TEXT,
    loaded_phrases  JSONB NOT NULL DEFAULT '[]',
    positions_s     DOUBLE PRECISION NOT NULL DEFAULT 0,
    summary_s       DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL
);

-- name_key is NULL for an unnamed source: it links to no one (summarizer/speaker_links.py).
CREATE TABLE speakers (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT NOT NULL,
    name_key        TEXT UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'person'
                    CHECK (kind IN ('person', 'organization', 'unnamed'))
);

CREATE TABLE speaker_aliases (
    speaker_id      BIGINT NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    alias           TEXT NOT NULL,
    alias_key       TEXT NOT NULL,
    PRIMARY KEY (alias_key, speaker_id)
);

CREATE TABLE positions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id      BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker_id      BIGINT NOT NULL REFERENCES speakers(id),
    name            TEXT,
    ordinal         INTEGER NOT NULL,
    role            TEXT,
    aliases         JSONB NOT NULL DEFAULT '[]',
    stance          TEXT,
    UNIQUE (article_id, speaker_id)
);
CREATE INDEX positions_speaker ON positions(speaker_id);

CREATE TABLE quotes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position_id     BIGINT NOT NULL REFERENCES positions(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('quote', 'paraphrase')),
    text            TEXT NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL
);
CREATE INDEX quotes_position ON quotes(position_id);

CREATE TABLE subscriptions (
    chat_id         BIGINT PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
    local_time      TEXT NOT NULL,
    tz              TEXT NOT NULL,
    last_sent_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
