-- +goose Up
-- A panel invitation to an anonymous survey is no longer marked used in
-- its own row: that write, in the transaction just before the response's,
-- paired the member's invitation with the response by transaction id
-- (xmin) and row order. The use is recorded here instead, under an HMAC
-- of the invitation id with a key kept outside the database, and with
-- nothing the response does not show already (its survey, and the panel
-- its profile values come from): not the round, which may hold one member.
CREATE TABLE panel_invitation_uses (
    id        TEXT PRIMARY KEY,
    panel_id  TEXT NOT NULL REFERENCES panels (id) ON DELETE CASCADE,
    survey_id TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE
);
CREATE INDEX panel_invitation_uses_survey ON panel_invitation_uses (panel_id, survey_id);

-- +goose Down
DROP TABLE panel_invitation_uses;
