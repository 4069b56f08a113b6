-- +goose Up
-- Citizens: light accounts for idea collection. A citizen signs in with a
-- single-use link mailed to them (valid 15 minutes); there is no password.
-- email is stored lower-cased; deleting a citizen removes the row, their
-- sessions, follows and notifications, and unlinks their posts.
CREATE TABLE citizens (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    notify_by_email BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL,
    last_sign_in_at TIMESTAMPTZ
);

-- Sign-in links: only a hash of the token is kept. A link is used once
-- (used_at), and rows are purged a day after they expire.
CREATE TABLE citizen_sign_ins (
    token_hash TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    language   TEXT NOT NULL DEFAULT '',
    next_path  TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX citizen_sign_ins_email ON citizen_sign_ins (email, created_at);
CREATE INDEX citizen_sign_ins_expires ON citizen_sign_ins (expires_at);

-- A signed-in citizen's session lives in the database like staff ones.
ALTER TABLE sessions ADD COLUMN citizen_id TEXT REFERENCES citizens (id) ON DELETE CASCADE;
CREATE INDEX sessions_citizen ON sessions (citizen_id);
-- Mail to a citizen (sign-in links, notifications) is forgotten with them.
ALTER TABLE mail_outbox ADD COLUMN citizen_id TEXT;
CREATE INDEX mail_outbox_citizen ON mail_outbox (citizen_id);

-- A consultation (an idea call, e.g. input to a cycling strategy). Texts are
-- per language (JSON); categories is a JSON list of {key, label}.
CREATE TABLE consultations (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    background   TEXT NOT NULL,
    categories   TEXT NOT NULL DEFAULT '[]',
    opens_at     TIMESTAMPTZ NOT NULL,
    closes_at    TIMESTAMPTZ NOT NULL,
    moderation   TEXT NOT NULL CHECK (moderation IN ('pre', 'post')),
    anonymous    BOOLEAN NOT NULL DEFAULT TRUE,
    share_clicks INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (closes_at > opens_at)
);
CREATE INDEX consultations_times ON consultations (opens_at, closes_at);

-- An idea. participant is the author's key: an HMAC of the consultation and
-- the session's participant, citizen or account (never the raw id, never
-- shown). visibility is the moderation state; status is the city's answer
-- ('' until staff give one), with its explanation per language (JSON).
-- supports and comments are counts kept in the same transaction as the
-- rows they count, so lists can sort by them with an index.
CREATE TABLE ideas (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    participant     TEXT NOT NULL,
    citizen_id      TEXT REFERENCES citizens (id) ON DELETE SET NULL,
    display_name    TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    place_label     TEXT NOT NULL DEFAULT '',
    lat             DOUBLE PRECISION,
    lng             DOUBLE PRECISION,
    language        TEXT NOT NULL DEFAULT '',
    visibility      TEXT NOT NULL CHECK (visibility IN ('pending', 'published', 'rejected', 'hidden')),
    rule_key        TEXT NOT NULL DEFAULT '',
    mod_note        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '' CHECK (status IN ('', 'under_review', 'adopted', 'partly_adopted', 'not_adopted', 'implemented')),
    explanation     TEXT NOT NULL DEFAULT '{}',
    status_at       TIMESTAMPTZ,
    first_status_at TIMESTAMPTZ,
    supports        INTEGER NOT NULL DEFAULT 0,
    comments        INTEGER NOT NULL DEFAULT 0,
    share_clicks    INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX ideas_by_supports ON ideas (consultation_id, visibility, supports DESC, id);
CREATE INDEX ideas_by_new ON ideas (consultation_id, visibility, created_at DESC, id);
CREATE INDEX ideas_by_comments ON ideas (consultation_id, visibility, comments DESC, id);
CREATE INDEX ideas_participant ON ideas (consultation_id, participant, created_at);
CREATE INDEX ideas_citizen ON ideas (citizen_id);

-- One support per participant per idea; citizen_id only to notify a
-- signed-in supporter by mail.
CREATE TABLE idea_supports (
    idea_id     TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    participant TEXT NOT NULL,
    citizen_id  TEXT REFERENCES citizens (id) ON DELETE SET NULL,
    PRIMARY KEY (idea_id, participant)
);
CREATE INDEX idea_supports_citizen ON idea_supports (citizen_id);

-- Comments with one level of replies (parent_id names a top-level comment).
CREATE TABLE idea_comments (
    id              TEXT PRIMARY KEY,
    idea_id         TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    parent_id       TEXT REFERENCES idea_comments (id) ON DELETE CASCADE,
    consultation_id TEXT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    participant     TEXT NOT NULL,
    citizen_id      TEXT REFERENCES citizens (id) ON DELETE SET NULL,
    display_name    TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    visibility      TEXT NOT NULL CHECK (visibility IN ('pending', 'published', 'rejected', 'hidden')),
    rule_key        TEXT NOT NULL DEFAULT '',
    mod_note        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX idea_comments_thread ON idea_comments (idea_id, created_at);
CREATE INDEX idea_comments_participant ON idea_comments (consultation_id, participant, created_at);
CREATE INDEX idea_comments_citizen ON idea_comments (citizen_id);
CREATE INDEX idea_comments_queue ON idea_comments (consultation_id, visibility);

-- Every status staff gave an idea, with its explanation (JSON per language).
CREATE TABLE idea_status_changes (
    id           TEXT PRIMARY KEY,
    idea_id      TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    explanation  TEXT NOT NULL,
    account_id   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    account_name TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX idea_status_changes_idea ON idea_status_changes (idea_id, created_at);

-- Ideas a signed-in citizen follows (their own are followed automatically).
CREATE TABLE idea_follows (
    citizen_id TEXT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    idea_id    TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    PRIMARY KEY (citizen_id, idea_id)
);
CREATE INDEX idea_follows_idea ON idea_follows (idea_id);

-- Notices shown on a participant's next visit. recipient is 'c:' and a
-- citizen id, or an anonymous participant's key for one consultation.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    idea_id    TEXT REFERENCES ideas (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ
);
CREATE INDEX notifications_recipient ON notifications (recipient, seen_at);
CREATE INDEX notifications_idea ON notifications (idea_id);

-- A citizen's report of a post (an idea, a comment, a town hall question)
-- to the moderators of its scope; one per participant per post.
CREATE TABLE reports (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    target_type TEXT NOT NULL CHECK (target_type IN ('idea', 'comment', 'question')),
    target_id   TEXT NOT NULL,
    participant TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    resolution  TEXT NOT NULL DEFAULT '',
    UNIQUE (target_type, target_id, participant)
);
CREATE INDEX reports_open ON reports (scope, resolved_at);

-- +goose Down
DROP TABLE reports;
DROP TABLE notifications;
DROP TABLE idea_follows;
DROP TABLE idea_status_changes;
DROP TABLE idea_comments;
DROP TABLE idea_supports;
DROP TABLE ideas;
DROP TABLE consultations;
DROP INDEX mail_outbox_citizen;
ALTER TABLE mail_outbox DROP COLUMN citizen_id;
DROP INDEX sessions_citizen;
ALTER TABLE sessions DROP COLUMN citizen_id;
DROP TABLE citizen_sign_ins;
DROP TABLE citizens;
