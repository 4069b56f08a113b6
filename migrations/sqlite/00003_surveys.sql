-- +goose Up
CREATE TABLE surveys (
    id              TEXT PRIMARY KEY,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    thanks          TEXT NOT NULL,
    languages       TEXT NOT NULL,
    anonymous       BOOLEAN NOT NULL,
    allow_multiple  BOOLEAN NOT NULL,
    publish_results BOOLEAN NOT NULL DEFAULT 0,
    definition      TEXT NOT NULL,
    template_key    TEXT NOT NULL DEFAULT '',
    opens_at        DATETIME,
    closes_at       DATETIME,
    created_by      TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

-- Anonymous responses keep the date only and no participant.
CREATE TABLE responses (
    id             TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    channel        TEXT NOT NULL,
    submitted_on   TEXT NOT NULL,
    submitted_at   DATETIME,
    participant_id TEXT
) WITHOUT ROWID; -- stored in random id order, not insertion order
CREATE INDEX responses_survey ON responses (survey_id);

CREATE TABLE response_answers (
    response_id  TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_key TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    option_key   TEXT NOT NULL DEFAULT '',
    row_key      TEXT NOT NULL DEFAULT '',
    number       REAL,
    text         TEXT NOT NULL DEFAULT '',
    rank         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (response_id, question_key, seq)
) WITHOUT ROWID;

-- One response per participant, enforced without linking the two.
CREATE TABLE response_markers (
    survey_id TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    marker    TEXT NOT NULL,
    PRIMARY KEY (survey_id, marker)
) WITHOUT ROWID;

CREATE TABLE response_drafts (
    token_hash TEXT PRIMARY KEY,
    survey_id  TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    answers    TEXT NOT NULL,
    section    INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    updated_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX response_drafts_expires ON response_drafts (expires_at);

-- +goose Down
DROP TABLE response_drafts;
DROP TABLE response_markers;
DROP TABLE response_answers;
DROP TABLE responses;
DROP TABLE surveys;
