package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/i18n"
)

// Renderer executes the page templates inside the base layout.
type Renderer struct {
	pages    map[string]*template.Template
	versions map[string]string
	bundle   *i18n.Bundle
}

// NewRenderer parses every template under templates/ (layouts/ and
// partials/ are shared; mail/ belongs to the mail package; every other file
// is a page named by its path without .html, e.g. "home/index") and
// fingerprints static files.
func NewRenderer(templates, static fs.FS, bundle *i18n.Bundle) (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}, versions: map[string]string{}, bundle: bundle}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		r.versions[p] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := TemplateFuncs(r.asset)
	shared, err := template.New("").Funcs(funcs).ParseFS(templates, "layouts/*.html", "partials/*.html")
	if err != nil {
		return nil, err
	}
	err = fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") || strings.HasPrefix(p, "layouts/") || strings.HasPrefix(p, "partials/") || strings.HasPrefix(p, "mail/") {
			return err
		}
		t, err := shared.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(templates, p); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		r.pages[strings.TrimSuffix(p, ".html")] = t
		return nil
	})
	return r, err
}

// Asset returns the cache-busted URL of a static file.
func (r *Renderer) Asset(p string) string { return r.asset(p) }

func (r *Renderer) asset(p string) string {
	return "/static/" + p + "?v=" + r.versions[p]
}

// LangLink is one entry of the language switcher.
type LangLink struct {
	Code, Name, URL string
	Current         bool
}

// Render writes page name with status. Every page gets the translator (.L),
// the signed-in account or citizen, the CSRF token, the flash message and the language
// links; data adds the page's own values.
func (r *Renderer) Render(c *fiber.Ctx, status int, name string, data fiber.Map) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	l := L(c)
	if l == nil {
		l = r.bundle.For(r.bundle.Default())
	}
	if data == nil {
		data = fiber.Map{}
	}
	if _, ok := data["Errors"]; !ok {
		data["Errors"] = map[string]string(nil) // templates index it on every form
	}
	data["L"] = l
	data["Lang"] = l.Lang
	data["Account"] = Account(c)
	data["Citizen"] = Citizen(c)
	data["CSRF"] = lazyCSRF{c}
	data["Path"] = c.Path()
	data["Year"] = time.Now().Year()
	if s := Sess(c); s != nil {
		if f := s.TakeFlash(); f != "" {
			data["Flash"] = l.T(f)
		}
	}
	data["Langs"] = r.langLinks(c, l.Lang)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Status(status)
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// langLinks builds the switcher: the current URL with ?lang= replaced.
func (r *Renderer) langLinks(c *fiber.Ctx, current string) []LangLink {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	out := make([]LangLink, 0, len(r.bundle.Languages()))
	for _, code := range r.bundle.Languages() {
		q.Set("lang", code)
		out = append(out, LangLink{
			Code: code, Name: r.bundle.For(code).T("language.name"),
			URL: path.Clean("/"+c.Path()) + "?" + q.Encode(), Current: code == current,
		})
	}
	return out
}

// lazyCSRF prints the CSRF token only where a template shows a form, so
// that pages without forms start no session and write nothing.
type lazyCSRF struct{ c *fiber.Ctx }

func (t lazyCSRF) String() string { return CSRF(t.c) }

// TemplateFuncs are the functions every template may call; asset maps a
// static file to its cache-busted URL.
func TemplateFuncs(asset func(string) string) template.FuncMap {
	return template.FuncMap{
		"asset": asset,
		"inc":   func(i int) int { return i + 1 },
		"list":  func(v ...string) []string { return v },
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		"derefFloat": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"int": func(n int64) int { return int(n) },
		// para splits staff-written text into paragraphs at blank lines.
		"para": func(s string) []string {
			var out []string
			for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		},
		// percent rounds a/b to a multiple of 5, for CSS classes without inline style.
		"percent": func(a, b int) int {
			if b <= 0 {
				return 0
			}
			return (a * 100 / b) / 5 * 5
		},
		// svg writes a number for an SVG attribute: always a dot, two decimals.
		"svg": func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) },
		// excerpt shortens text people wrote to at most n letters, at a word.
		"excerpt": func(s string, n int) string {
			r := []rune(strings.Join(strings.Fields(s), " "))
			if len(r) <= n {
				return string(r)
			}
			cut := string(r[:n])
			if i := strings.LastIndexByte(cut, ' '); i > n/2 {
				cut = cut[:i]
			}
			return cut + "…"
		},
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}
