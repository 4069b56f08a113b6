-- +goose Up
-- Answers carry their survey, so results aggregate one survey's answers
-- without joining every response. The index serves weighting and cross-tabs
-- (a question's first answers per response) from the index alone.
ALTER TABLE response_answers ADD COLUMN survey_id TEXT NOT NULL DEFAULT '';
UPDATE response_answers a SET survey_id = r.survey_id FROM responses r WHERE r.id = a.response_id;
CREATE INDEX response_answers_results ON response_answers (survey_id, question_key, seq, option_key, response_id);
-- Results group answers by these four columns; without this the planner
-- multiplies their distinct counts, expects 100 times too many groups and
-- sorts on disk instead of hashing in memory.
CREATE STATISTICS response_answers_groups (ndistinct) ON question_key, row_key, option_key, number FROM response_answers;

-- Profile values copied onto a response when it is submitted (from a panel
-- member's profile), so results can be cut by them without any link back
-- to the member.
CREATE TABLE response_attributes (
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (response_id, field)
);

-- Population margins a survey's results are weighted to (JSON), with the
-- cap on a single weight.
CREATE TABLE survey_weightings (
    survey_id  TEXT PRIMARY KEY REFERENCES surveys (id) ON DELETE CASCADE,
    margins    TEXT NOT NULL,
    weight_cap DOUBLE PRECISION NOT NULL,
    updated_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Running totals of the answers already counted, so that the results of a
-- large survey only add what came in since (PostgreSQL; SQLite counts
-- afresh). A response is "folded" once its answers are in the totals; the
-- flag says nothing else about it, not even when it was folded.
ALTER TABLE responses ADD COLUMN folded BOOLEAN NOT NULL DEFAULT FALSE;
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
    number       DOUBLE PRECISION NOT NULL,
    n            BIGINT NOT NULL,
    first        BIGINT NOT NULL,
    top          BIGINT NOT NULL,
    rank_sum     BIGINT NOT NULL,
    texts        BIGINT NOT NULL,
    PRIMARY KEY (survey_id, cell, kind, question_key, row_key, option_key, has_number, number)
);

-- +goose Down
DROP TABLE answer_totals;
DROP TABLE survey_totals;
DROP INDEX responses_unfolded;
ALTER TABLE responses DROP COLUMN folded;
DROP TABLE survey_weightings;
DROP TABLE response_attributes;
DROP STATISTICS response_answers_groups;
DROP INDEX response_answers_results;
ALTER TABLE response_answers DROP COLUMN survey_id;
