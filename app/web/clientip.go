package web

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
)

// parsePrefixes turns TRUSTED_PROXIES (addresses or CIDR ranges, already
// validated by config) into prefixes.
func parsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// clientIP records the address the request came from. Only when the peer is
// a trusted proxy is X-Forwarded-For read, and then from the right: the
// right-most entry that is not itself a trusted proxy, because everything
// to its left is whatever the client chose to write.
func (s *Server) clientIP(c *fiber.Ctx) error {
	ip := c.Context().RemoteIP().String()
	if peer, err := netip.ParseAddr(ip); err == nil && s.trusted(peer) {
		hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			ip = a.Unmap().String()
			if !s.trusted(a) {
				break
			}
		}
	}
	page.SetClientIP(c, ip)
	return c.Next()
}
