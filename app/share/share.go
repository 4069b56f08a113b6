// Package share builds what a page needs to be passed on: share links that
// tell staff which channel brought a visitor, Open Graph locales, and QR
// codes for posters (qr.go). The matching template blocks are "og-meta" and
// "share-links" in templates/partials/share.html.
package share

import (
	"net/url"
	"strings"
)

// Channels, as they appear in the channel= query parameter.
const (
	ChannelFacebook = "facebook"
	ChannelX        = "x"
	ChannelLinkedIn = "linkedin"
	ChannelEmail    = "email"
	// ChannelLink is meant for the copyable address, ChannelQR for posters.
	ChannelLink = "link"
	ChannelQR   = "qr"
)

// Link is one share link. Network is the channel name (also usable as a CSS
// hook); Label is a message id (share.*) for the link text, which the
// "share-links" template translates; URL is the finished share URL.
type Link struct {
	Network, Label, URL string
}

// OG holds the Open Graph values the "og-meta" template block reads as .OG.
// URL should be the canonical page URL (without channel=), Image an absolute
// URL or empty, Locale the result of OGLocale.
type OG struct {
	Title, Description, URL, Image, Locale string
}

// Links returns the share links for pageURL, each pointing at pageURL with
// its own channel= parameter. title is the suggested post text and the
// e-mail subject; it may be empty.
func Links(pageURL, title string) []Link {
	fb := WithChannel(pageURL, ChannelFacebook)
	x := WithChannel(pageURL, ChannelX)
	li := WithChannel(pageURL, ChannelLinkedIn)
	mail := WithChannel(pageURL, ChannelEmail)

	tweet := "https://twitter.com/intent/tweet?url=" + url.QueryEscape(x)
	if title != "" {
		tweet += "&text=" + url.QueryEscape(title)
	}

	body := mail
	if title != "" {
		body = title + "\r\n\r\n" + mail
	}
	mailto := "mailto:?"
	if title != "" {
		mailto += "subject=" + mailEscape(title) + "&"
	}
	mailto += "body=" + mailEscape(body)

	return []Link{
		{Network: ChannelFacebook, Label: "share.facebook", URL: "https://www.facebook.com/sharer/sharer.php?u=" + url.QueryEscape(fb)},
		{Network: ChannelX, Label: "share.x", URL: tweet},
		{Network: ChannelLinkedIn, Label: "share.linkedin", URL: "https://www.linkedin.com/sharing/share-offsite/?url=" + url.QueryEscape(li)},
		{Network: ChannelEmail, Label: "share.email", URL: mailto},
	}
}

// mailEscape encodes a mailto header value (RFC 6068): like a query value,
// but a space must be %20, since mail clients do not read + as a space.
func mailEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// WithChannel returns pageURL with channel=<channel> in its query, replacing
// any channel parameter already there and keeping the rest of the query (in
// its order and encoding) and the fragment. An empty channel or a URL that
// does not parse is returned unchanged.
func WithChannel(pageURL, channel string) string {
	u, err := url.Parse(pageURL)
	if err != nil || channel == "" {
		return pageURL
	}
	var parts []string
	for _, p := range strings.Split(u.RawQuery, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); k == "channel" || (err == nil && uk == "channel") {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, "channel="+url.QueryEscape(channel))
	u.RawQuery = strings.Join(parts, "&")
	u.ForceQuery = false
	return u.String()
}

// OGLocale maps a site language to its Open Graph locale (da -> da_DK,
// nl -> nl_NL, en -> en_GB). A region suffix is ignored ("nl-BE" -> nl_NL);
// an unknown language gives "", which the template leaves out.
func OGLocale(lang string) string {
	base, _, _ := strings.Cut(strings.ReplaceAll(lang, "_", "-"), "-")
	switch strings.ToLower(base) {
	case "da":
		return "da_DK"
	case "nl":
		return "nl_NL"
	case "en":
		return "en_GB"
	}
	return ""
}
