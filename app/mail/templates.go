package mail

import (
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"

	"github.com/inspraak/inspraak/app/i18n"
)

// Templates renders mails from templates/mail/<kind>.html. Each file
// defines "subject", "text" (plain text) and "html"; layout.html adds the
// shared parts. The text parts are run as text/template, the HTML part as
// html/template, so whatever people typed is escaped in the HTML.
type Templates struct {
	bundle *i18n.Bundle
	kinds  map[string]kind
}

type kind struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Rendered is a mail's subject and bodies in one language.
type Rendered struct {
	Subject, Text, HTML string
}

// NewTemplates parses every mail template in fsys (the templates tree).
func NewTemplates(fsys fs.FS, bundle *i18n.Bundle) (*Templates, error) {
	t := &Templates{bundle: bundle, kinds: map[string]kind{}}
	files, err := fs.Glob(fsys, "mail/*.html")
	if err != nil {
		return nil, err
	}
	layout, err := fs.ReadFile(fsys, "mail/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail layout: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(name).Parse(string(layout) + string(b))
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", f, err)
		}
		ht, err := htmltemplate.New(name).Parse(string(layout) + string(b))
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", f, err)
		}
		t.kinds[name] = kind{text: tt, html: ht}
	}
	return t, nil
}

// Render fills mail kind in lang with data (a map; .L is added).
func (t *Templates) Render(kindName, lang string, data map[string]any) (Rendered, error) {
	k, ok := t.kinds[kindName]
	if !ok {
		return Rendered{}, fmt.Errorf("no mail template %q", kindName)
	}
	d := make(map[string]any, len(data)+1)
	for key, v := range data {
		d[key] = v
	}
	d["L"] = t.bundle.For(lang)
	var subj, text, html strings.Builder
	if err := k.text.ExecuteTemplate(&subj, "subject", d); err != nil {
		return Rendered{}, err
	}
	if err := k.text.ExecuteTemplate(&text, "text", d); err != nil {
		return Rendered{}, err
	}
	if err := k.html.ExecuteTemplate(&html, "html", d); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: strings.Join(strings.Fields(subj.String()), " "), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

// Translator returns the translator for lang.
func (t *Templates) Translator(lang string) *i18n.L { return t.bundle.For(lang) }
