-- +goose Up
-- Outgoing mail. A mail is queued once (dedupe_key), claimed by one worker
-- for a lease (lease_until) and marked sent; a worker that dies mid-send
-- leaves its claim to expire, so the mail is tried again, but a sent mail
-- is never claimed again. member_id names the panel member a mail is for
-- (no foreign key: a member who leaves takes their mails along, see the
-- panels package), so leaving forgets exactly that member's mail.
-- first_failed_at is when the current run of failed attempts began.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    member_id       TEXT,
    to_addr         TEXT NOT NULL,
    language        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    lease_until     DATETIME,
    claim           TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    first_failed_at DATETIME,
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
CREATE INDEX mail_outbox_member ON mail_outbox (member_id);

-- A citizen panel; its profile fields (with choices and target shares) are
-- a JSON document.
CREATE TABLE panels (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    fields      TEXT NOT NULL,
    created_by  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

-- A member is pending until the emailed link is confirmed. Leaving deletes
-- the row (email and profile).
CREATE TABLE panel_members (
    id                 TEXT PRIMARY KEY,
    panel_id           TEXT NOT NULL REFERENCES panels (id) ON DELETE CASCADE,
    email              TEXT NOT NULL,
    language           TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active')),
    token_hash         TEXT NOT NULL UNIQUE,
    source             TEXT NOT NULL,
    confirm_expires_at DATETIME NOT NULL,
    confirm_mails      INTEGER NOT NULL DEFAULT 0,
    last_mail_at       DATETIME,
    created_at         DATETIME NOT NULL,
    confirmed_at       DATETIME,
    UNIQUE (panel_id, email)
);
CREATE INDEX panel_members_status ON panel_members (panel_id, status);
CREATE INDEX panel_members_expiry ON panel_members (status, confirm_expires_at);

CREATE TABLE panel_member_profiles (
    member_id TEXT NOT NULL REFERENCES panel_members (id) ON DELETE CASCADE,
    panel_id  TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (member_id, field)
);
CREATE INDEX panel_member_profiles_panel ON panel_member_profiles (panel_id, field, value);

-- One staff invitation of a panel (or a sample of it) to a survey, with its
-- reminder plan; the worker works through its invitations.
CREATE TABLE panel_invitation_rounds (
    id                TEXT PRIMARY KEY,
    panel_id          TEXT NOT NULL REFERENCES panels (id) ON DELETE CASCADE,
    survey_id         TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    sample            TEXT NOT NULL,
    remind_after_days INTEGER NOT NULL,
    max_reminders     INTEGER NOT NULL,
    created_by        TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at        DATETIME NOT NULL
);

-- One member's personal, single-use invitation. The token is derived from
-- the id with a key kept outside the database; only its SHA-256 is stored.
-- mailed_at is NULL until the worker has queued the invitation mail. used
-- says that the invitation gave a response. For an anonymous survey that is
-- all that is kept (used_on stays NULL), so no date joins the member to a
-- response; for an identified survey used_on is the date of use.
CREATE TABLE panel_invitations (
    id             TEXT PRIMARY KEY,
    round_id       TEXT NOT NULL REFERENCES panel_invitation_rounds (id) ON DELETE CASCADE,
    panel_id       TEXT NOT NULL REFERENCES panels (id) ON DELETE CASCADE,
    survey_id      TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    member_id      TEXT REFERENCES panel_members (id) ON DELETE SET NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    mailed_at      DATETIME,
    last_mailed_at DATETIME,
    reminders      INTEGER NOT NULL DEFAULT 0,
    used           BOOLEAN NOT NULL DEFAULT FALSE,
    used_on        TEXT,
    created_at     DATETIME NOT NULL,
    UNIQUE (survey_id, member_id)
);
-- The invitations still to mail, in the order they are mailed: a batch
-- is read from the front of this index instead of sorting the queue.
CREATE INDEX panel_invitations_unmailed ON panel_invitations (created_at, id) WHERE mailed_at IS NULL AND member_id IS NOT NULL;
CREATE INDEX panel_invitations_round ON panel_invitations (round_id, used);
CREATE INDEX panel_invitations_member ON panel_invitations (member_id);
CREATE INDEX panel_invitations_panel ON panel_invitations (panel_id, survey_id);

-- Fixed-window counters for sign-ups and token guesses per client address.
CREATE TABLE panel_rate_limits (
    key          TEXT PRIMARY KEY,
    hits         INTEGER NOT NULL,
    window_start DATETIME NOT NULL
);

-- +goose Down
DROP TABLE panel_rate_limits;
DROP TABLE panel_invitations;
DROP TABLE panel_invitation_rounds;
DROP TABLE panel_member_profiles;
DROP TABLE panel_members;
DROP TABLE panels;
DROP TABLE mail_outbox;
