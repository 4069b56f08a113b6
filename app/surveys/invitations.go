package surveys

import (
	"context"
	"errors"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// Invitations redeems personal invitation links (the panels feature
// implements it; the web layer wires it in, so surveys need not know
// panels).
type Invitations interface {
	// Redeem marks the invitation of token to surveyID as used and says
	// what the response gets from it. Unknown tokens are a validation
	// error on "token", used ones a conflict.
	Redeem(ctx context.Context, surveyID, token, clientIP string) (*Redemption, error)
}

// Redemption is what a used invitation gives the response: the participant
// that one-response-per-person counts, and profile values; never the
// member. Undo frees the invitation when the response could not be stored.
type Redemption struct {
	Participant string
	Attributes  map[string]string
	// Anonymous is whether the survey was anonymous when the invitation
	// was used: the attributes and what was written depend on it.
	Anonymous bool
	Undo      func(context.Context) error
}

// InvitationKey is the session key under which an invitation link's token
// waits for the response it is for.
func InvitationKey(surveyID string) string { return "invite." + surveyID }

// WithInvitations lets responses be given through invitation links.
func (h *Handlers) WithInvitations(inv Invitations) *Handlers {
	h.invites = inv
	return h
}

// submit stores sub, through the invitation of token when one is given:
// the answers are checked first (so that answers that would be refused do
// not use up the invitation), then the invitation is used (in its own
// transaction), then the response is stored, without a response marker;
// if that fails, the invitation is freed again.
func (h *Handlers) submit(ctx context.Context, sv *models.Survey, sub Submission, token, clientIP string) (string, error) {
	if token == "" {
		return h.store.Submit(ctx, sv, sub)
	}
	if h.invites == nil {
		return "", apperr.Invalid("token", "survey.token_invalid")
	}
	if !Accepting(sv, h.store.now()) {
		return "", &apperr.Conflict{MessageID: "survey.closed"}
	}
	def, err := h.store.Definition(sv)
	if err != nil {
		return "", err
	}
	if _, err := def.Check(sub.Answers); err != nil {
		return "", err
	}
	r, err := h.invites.Redeem(ctx, sv.ID, token, clientIP)
	if err != nil {
		return "", err
	}
	sub.Participant, sub.Attributes, sub.Channel, sub.SkipMarker = r.Participant, r.Attributes, "panel", true
	sub.Anonymous = &r.Anonymous
	id, err := h.store.Submit(ctx, sv, sub)
	if err != nil {
		if uerr := r.Undo(context.WithoutCancel(ctx)); uerr != nil {
			return "", errors.Join(err, uerr)
		}
	}
	return id, err
}
