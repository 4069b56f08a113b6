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

-- +goose Down
DROP TABLE survey_weightings;
DROP TABLE response_attributes;
DROP INDEX response_answers_results;
ALTER TABLE response_answers DROP COLUMN survey_id;
