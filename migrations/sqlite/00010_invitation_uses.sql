-- +goose Up
-- A panel invitation to an anonymous survey is no longer marked used in
-- its own row: that write, in the transaction just before the response's,
-- paired the member's invitation with the response by transaction id
-- (xmin) and row order. The use is recorded here instead, under an HMAC
-- of the invitation id with a key kept outside the database, so the row
-- written beside the response names no invitation.
CREATE TABLE panel_invitation_uses (
    id       TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES panel_invitation_rounds (id) ON DELETE CASCADE
);
CREATE INDEX panel_invitation_uses_round ON panel_invitation_uses (round_id);

-- +goose Down
DROP TABLE panel_invitation_uses;
