-- +goose Up
-- Live events. Every event is written here before it is announced; a
-- subscriber reads rows of its stream by id, so a client that reconnects
-- with Last-Event-ID is replayed from this table. SQLite write transactions
-- take the database lock at BEGIN, so ids become visible in increasing order.
CREATE TABLE live_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    stream     TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    -- What the event is about (e.g. a question id), so that the events of
    -- something hidden or rejected can be redacted in the same transaction.
    subject_id TEXT,
    created_at DATETIME NOT NULL
);
CREATE INDEX live_events_stream ON live_events (stream, id);
CREATE INDEX live_events_subject ON live_events (stream, subject_id);

-- House rules, published at /house-rules and named by moderators when they
-- reject or hide something. Title and body are per language (JSON).
CREATE TABLE house_rules (
    key        TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at DATETIME NOT NULL
);

-- Every moderation action: who, when, what, on what, by which rule, why.
CREATE TABLE moderation_log (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    actor_id    TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    rule_key    TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX moderation_log_scope ON moderation_log (scope, created_at);

-- A participant banned from one scope (e.g. one town hall).
CREATE TABLE moderation_bans (
    scope       TEXT NOT NULL,
    participant TEXT NOT NULL,
    rule_key    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    banned_by   TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (scope, participant)
);

CREATE TABLE townhalls (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    starts_at     DATETIME NOT NULL,
    ends_at       DATETIME NOT NULL,
    moderation    TEXT NOT NULL CHECK (moderation IN ('pre', 'post')),
    participation TEXT NOT NULL CHECK (participation IN ('anyone', 'panel')),
    panel_id      TEXT REFERENCES panels (id) ON DELETE SET NULL,
    names         TEXT NOT NULL CHECK (names IN ('optional', 'required', 'anonymous')),
    answering_id  TEXT,
    announced     TEXT NOT NULL DEFAULT 'scheduled',
    created_by    TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX townhalls_times ON townhalls (starts_at, ends_at);

CREATE TABLE townhall_politicians (
    townhall_id TEXT NOT NULL REFERENCES townhalls (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (townhall_id, account_id)
);

-- A question; participant is the asker's participant key: an HMAC of the
-- town hall and the anonymous session, account or panel member (never the
-- raw id), never shown.
CREATE TABLE townhall_questions (
    id                TEXT PRIMARY KEY,
    townhall_id       TEXT NOT NULL REFERENCES townhalls (id) ON DELETE CASCADE,
    participant       TEXT NOT NULL,
    display_name      TEXT NOT NULL DEFAULT '',
    text              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'hidden', 'merged')),
    votes             INTEGER NOT NULL DEFAULT 0,
    merged_into       TEXT REFERENCES townhall_questions (id) ON DELETE SET NULL,
    assigned_to       TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at        DATETIME NOT NULL,
    approved_at       DATETIME,
    updated_at        DATETIME NOT NULL
);
CREATE INDEX townhall_questions_list ON townhall_questions (townhall_id, status, votes);
CREATE INDEX townhall_questions_asker ON townhall_questions (townhall_id, participant, created_at);

-- One vote per participant per question (no time: nothing needs it, and
-- it would only make votes easier to tie to a person).
CREATE TABLE townhall_votes (
    question_id TEXT NOT NULL REFERENCES townhall_questions (id) ON DELETE CASCADE,
    participant TEXT NOT NULL,
    townhall_id TEXT NOT NULL,
    PRIMARY KEY (question_id, participant)
);
CREATE INDEX townhall_votes_townhall ON townhall_votes (townhall_id, participant);

CREATE TABLE townhall_answers (
    id          TEXT PRIMARY KEY,
    question_id TEXT NOT NULL REFERENCES townhall_questions (id) ON DELETE CASCADE,
    townhall_id TEXT NOT NULL REFERENCES townhalls (id) ON DELETE CASCADE,
    account_id  TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX townhall_answers_question ON townhall_answers (question_id, created_at);
CREATE INDEX townhall_answers_townhall ON townhall_answers (townhall_id);

-- The default house rules, after Copenhagen's published, apolitical house
-- rules for its citizen page; staff edit them at /staff/house-rules.
INSERT INTO house_rules (key, position, title, body, updated_at) VALUES
    ('respect', 1, '{"da": "Vis respekt", "nl": "Toon respect", "en": "Show respect"}', '{"da": "Skriv til andre, som du selv vil tiltales. Personangreb, trusler, chikane og nedsættende ord om andre mennesker eller grupper bliver fjernet.", "nl": "Schrijf zoals je zelf aangesproken wilt worden. Persoonlijke aanvallen, bedreigingen, intimidatie en kwetsende woorden over mensen of groepen worden verwijderd.", "en": "Write to others as you would like to be addressed. Personal attacks, threats, harassment and demeaning words about people or groups are removed."}', CURRENT_TIMESTAMP),
    ('on_topic', 2, '{"da": "Hold dig til emnet", "nl": "Blijf bij het onderwerp", "en": "Stay on topic"}', '{"da": "Spørgsmål skal handle om emnet for borgermødet eller høringen. Spørgsmål om din egen sag hører hjemme hos Borgerservice.", "nl": "Vragen gaan over het onderwerp van de bijeenkomst of de raadpleging. Vragen over je eigen zaak horen bij de klantenservice van de gemeente.", "en": "Questions are about the subject of the town hall or consultation. Questions about your own case belong with the municipality''s citizen service."}', CURRENT_TIMESTAMP),
    ('privacy', 3, '{"da": "Ingen personoplysninger", "nl": "Geen persoonsgegevens", "en": "No personal data"}', '{"da": "Skriv ikke navne, adresser, telefonnumre, CPR-numre eller sager om andre personer, og heller ikke dine egne følsomme oplysninger.", "nl": "Noem geen namen, adressen, telefoonnummers, BSN of zaken van andere mensen, en ook niet je eigen gevoelige gegevens.", "en": "Do not write names, addresses, phone numbers, ID numbers or cases of other people, nor sensitive details of your own."}', CURRENT_TIMESTAMP),
    ('no_campaigning', 4, '{"da": "Ingen valgkamp", "nl": "Geen campagne", "en": "No campaigning"}', '{"da": "Siden drives af kommunen og redigeres upolitisk. Du må gerne stille politikerne politiske spørgsmål, men siden må ikke bruges til valgkamp, partireklame eller opfordringer til at stemme.", "nl": "De gemeente beheert deze pagina en redigeert haar politiek neutraal. Je mag politici politieke vragen stellen, maar de pagina is niet bedoeld voor campagne, partijreclame of stemadviezen.", "en": "The municipality runs this page and edits it without taking political sides. You may ask politicians political questions, but the page is not for election campaigning, party advertising or calls to vote."}', CURRENT_TIMESTAMP),
    ('no_spam', 5, '{"da": "Ingen reklame eller gentagelser", "nl": "Geen reclame of herhalingen", "en": "No advertising or repeats"}', '{"da": "Reklame, links til salg og det samme spørgsmål skrevet flere gange bliver fjernet eller lagt sammen.", "nl": "Reclame, verkooplinks en dezelfde vraag die meerdere keren wordt gesteld, worden verwijderd of samengevoegd.", "en": "Advertising, sales links and the same question posted several times are removed or merged."}', CURRENT_TIMESTAMP),
    ('lawful', 6, '{"da": "Overhold loven", "nl": "Houd je aan de wet", "en": "Keep to the law"}', '{"da": "Indhold, der er ulovligt, fx hadefulde udtalelser, injurier eller krænkelse af ophavsret, bliver fjernet og kan blive politianmeldt.", "nl": "Inhoud die in strijd is met de wet, zoals haatzaaien, smaad of inbreuk op auteursrecht, wordt verwijderd en kan worden gemeld bij de politie.", "en": "Unlawful content, such as hate speech, defamation or copyright infringement, is removed and may be reported to the police."}', CURRENT_TIMESTAMP);

-- +goose Down
DROP TABLE townhall_answers;
DROP TABLE townhall_votes;
DROP TABLE townhall_questions;
DROP TABLE townhall_politicians;
DROP TABLE townhalls;
DROP TABLE moderation_bans;
DROP TABLE moderation_log;
DROP TABLE house_rules;
DROP TABLE live_events;
