-- +goose Up
-- The municipality's working calendar (one row): working weekdays (ISO
-- numbers, Monday 1), office hours as minutes after midnight. Answer-time
-- promises count working hours on it.
CREATE TABLE work_calendar (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    weekdays   TEXT NOT NULL,
    opens      INTEGER NOT NULL,
    closes     INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (closes > opens)
);
INSERT INTO work_calendar (id, weekdays, opens, closes, updated_at) VALUES (1, '1,2,3,4,5', 480, 960, CURRENT_TIMESTAMP);

-- Public holidays: days that are not working days.
CREATE TABLE public_holidays (
    day  TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
);

-- A channel policy: which channels the municipality uses, for what, and how
-- fast it answers. Texts are per language (JSON). version is the latest
-- published version (0: never published); threshold is how many
-- percentage points a cited figure may move before staff are told.
CREATE TABLE policies (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    intro        TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    threshold    DOUBLE PRECISION NOT NULL DEFAULT 5,
    version      INTEGER NOT NULL DEFAULT 0,
    published_at TIMESTAMPTZ,
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- One decision per channel: purposes (JSON list), handled there or routed
-- elsewhere (routed_to per language), the answer-time promise as staff
-- wrote it (response_target in response_target_unit: working hours, or
-- working days, which keep their meaning when the working day changes),
-- staffed hours, owner team, tone of voice and explanation.
CREATE TABLE policy_decisions (
    id                    TEXT PRIMARY KEY,
    policy_id             TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    channel               TEXT NOT NULL,
    channel_name          TEXT NOT NULL DEFAULT '{}',
    purposes              TEXT NOT NULL DEFAULT '[]',
    handling              TEXT NOT NULL CHECK (handling IN ('handled', 'routed')),
    routed_to             TEXT NOT NULL DEFAULT '{}',
    response_target       DOUBLE PRECISION,
    response_target_unit  TEXT NOT NULL DEFAULT 'hours' CHECK (response_target_unit IN ('hours', 'days')),
    staffed_hours         TEXT NOT NULL DEFAULT '{}',
    owner                 TEXT NOT NULL DEFAULT '',
    tone                  TEXT NOT NULL DEFAULT '{}',
    text                  TEXT NOT NULL DEFAULT '{}',
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    UNIQUE (policy_id, channel)
);

-- The evidence a decision cites; baseline is the figure the latest
-- published version shows for the same channel, kind and ref (NULL when
-- that version does not cite it), to tell staff when it has moved.
CREATE TABLE policy_evidence (
    id            TEXT PRIMARY KEY,
    decision_id   TEXT NOT NULL REFERENCES policy_decisions (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('survey_option', 'survey_question', 'townhall', 'consultation')),
    ref           TEXT NOT NULL,
    baseline      DOUBLE PRECISION,
    baseline_base DOUBLE PRECISION,
    baseline_at   TIMESTAMPTZ
);
CREATE INDEX policy_evidence_decision ON policy_evidence (decision_id, position);

-- Every published version, whole (JSON), so earlier versions stay readable.
CREATE TABLE policy_versions (
    policy_id    TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    snapshot     TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    PRIMARY KEY (policy_id, version)
);

-- Figures staff record for channels outside the platform (e.g. a month's
-- median answer time on Facebook), by form, API or CSV import; one row per
-- channel and period (a new figure for the same period replaces it).
CREATE TABLE channel_measurements (
    id                 TEXT PRIMARY KEY,
    channel            TEXT NOT NULL,
    period_from        TEXT NOT NULL,
    period_to          TEXT NOT NULL,
    median_hours       DOUBLE PRECISION NOT NULL CHECK (median_hours >= 0),
    within_target_pct  DOUBLE PRECISION CHECK (within_target_pct BETWEEN 0 AND 100),
    cases              INTEGER NOT NULL DEFAULT 0 CHECK (cases >= 0),
    source             TEXT NOT NULL CHECK (source IN ('form', 'api', 'csv')),
    note               TEXT NOT NULL DEFAULT '',
    created_by         TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (channel, period_from, period_to)
);

-- +goose Down
DROP TABLE channel_measurements;
DROP TABLE policy_versions;
DROP TABLE policy_evidence;
DROP TABLE policy_decisions;
DROP TABLE policies;
DROP TABLE public_holidays;
DROP TABLE work_calendar;
