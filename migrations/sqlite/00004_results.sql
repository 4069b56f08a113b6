-- +goose Up
-- Answers carry their survey, so results aggregate one survey's answers
-- without joining every response. The index serves weighting and cross-tabs
-- (a question's first answers per response) from the index alone.
ALTER TABLE response_answers ADD COLUMN survey_id TEXT NOT NULL DEFAULT '';
UPDATE response_answers SET survey_id = (SELECT r.survey_id FROM responses r WHERE r.id = response_answers.response_id);
CREATE INDEX response_answers_results ON response_answers (survey_id, question_key, seq, option_key, response_id);

-- Profile values copied onto a response when it is submitted (from a panel
-- member's profile), so results can be cut by them without any link back
-- to the member.
CREATE TABLE response_attributes (
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (response_id, field)
) WITHOUT ROWID;

-- Population margins a survey's results are weighted to (JSON), with the
-- cap on a single weight.
CREATE TABLE survey_weightings (
    survey_id  TEXT PRIMARY KEY REFERENCES surveys (id) ON DELETE CASCADE,
    margins    TEXT NOT NULL,
    weight_cap REAL NOT NULL,
    updated_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at DATETIME NOT NULL
);

-- Running totals of the answers already counted, so that the results of a
-- large survey only add what came in since (PostgreSQL; SQLite counts
-- afresh). A response is "folded" once its answers are in the totals; the
-- flag says nothing else about it, not even when it was folded.
ALTER TABLE responses ADD COLUMN folded BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX responses_unfolded ON responses (survey_id) WHERE NOT folded;

-- The totals are kept per weighting cell (the categories a response has
-- on the survey's weighting variables, listed in split_by), so weighted
-- results come from them too.
CREATE TABLE survey_totals (
    survey_id TEXT PRIMARY KEY REFERENCES surveys (id) ON DELETE CASCADE,
    split_by  TEXT NOT NULL,
    responses BIGINT NOT NULL
);

-- kind 'answers': sums per question, row, option and number, as the
-- results query groups them; kind 'respondents': respondents per matrix
-- question; kind 'responses': responses (question_key '').
CREATE TABLE answer_totals (
    survey_id    TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    cell         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    question_key TEXT NOT NULL,
    row_key      TEXT NOT NULL,
    option_key   TEXT NOT NULL,
    has_number   BOOLEAN NOT NULL,
    number       REAL NOT NULL,
    n            BIGINT NOT NULL,
    first        BIGINT NOT NULL,
    top          BIGINT NOT NULL,
    rank_sum     BIGINT NOT NULL,
    texts        BIGINT NOT NULL,
    PRIMARY KEY (survey_id, cell, kind, question_key, row_key, option_key, has_number, number)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE answer_totals;
DROP TABLE survey_totals;
DROP INDEX responses_unfolded;
ALTER TABLE responses DROP COLUMN folded;
DROP TABLE survey_weightings;
DROP TABLE response_attributes;
DROP INDEX response_answers_results;
ALTER TABLE response_answers DROP COLUMN survey_id;
