// Package policy turns what citizens said into a published channel policy:
// which channels the municipality uses, for what, and how fast it answers
// there, each decision backed by live figures from surveys, town halls and
// consultations; and it measures whether the answer-time promises are kept
// on the municipality's working calendar.
package policy

import "regexp"

// Channels are the built-in channels, in the order pages show them.
// "townhall" and "ideas" are this platform's own, measured on it; others
// are measured by figures staff record. Custom channels are "custom-" and
// a slug.
var Channels = []string{"facebook", "instagram", "x", "linkedin", "youtube", "website", "chat", "phone",
	"front_desk", "email", "townhall", "ideas"}

// Purposes a channel can serve.
var Purposes = []string{"information", "questions", "complaints", "public_space", "crisis", "events", "consultation"}

// Measured channels are measured on the platform itself.
const (
	ChannelTownHall = "townhall"
	ChannelIdeas    = "ideas"
)

var customRe = regexp.MustCompile(`^custom-[a-z0-9][a-z0-9-]{0,39}$`)

// KnownChannel tells whether ch is a built-in or a well-formed custom channel.
func KnownChannel(ch string) bool {
	for _, c := range Channels {
		if c == ch {
			return true
		}
	}
	return customRe.MatchString(ch)
}

// Custom tells whether ch is a custom channel (named by staff).
func Custom(ch string) bool { return customRe.MatchString(ch) }

func knownPurpose(p string) bool {
	for _, k := range Purposes {
		if k == p {
			return true
		}
	}
	return false
}
