package panels_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/models"
)

// FuzzImport imports arbitrary member lists into a panel: no panic, a
// refused file is a validation error and adds nobody, an accepted one adds
// exactly the members it reports as imported, and its counts add up.
func FuzzImport(f *testing.F) {
	f.Add([]byte("email,language,age\nanna@example.org,da,young\nbo@example.org,en,middle\n"))
	f.Add([]byte("\ufeffEmail;age\nanna@example.org;young\n"))
	f.Add([]byte("email,age\nnot-an-address,young\nc@example.org,nope\nc@example.org,young\n"))
	f.Add([]byte("email,email\na@example.org,b@example.org\n"))
	f.Add([]byte("name\nAnna\n"))
	f.Add([]byte("email\n=cmd|' /C calc'!A0@example.org\n"))
	f.Add([]byte("email\n\"unterminated\n"))
	f.Add([]byte(""))
	gdb := db.OpenTest(f, db.SQLite)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		f.Fatal(err)
	}
	a, err := assets.FromRepo()
	if err != nil {
		f.Fatal(err)
	}
	srv, err := web.New(web.Deps{Config: cfg, DB: gdb, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Assets: a,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), Now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	store := srv.Panels()
	p, err := store.Create(context.Background(), panels.PanelInput{Name: models.Text{"da": "Panelet"}, Description: models.Text{"da": "Om panelet"},
		Fields: []panels.Field{{Key: "age", Label: models.Text{"da": "Alder"}, Choices: []panels.Choice{
			{Key: "young", Label: models.Text{"da": "Ung"}}, {Key: "middle", Label: models.Text{"da": "Midaldrende"}}}}}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	count := func(t *testing.T) int64 {
		var n int64
		if err := gdb.Model(&models.PanelMember{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := count(t)
		rep, err := store.Import(context.Background(), p.ID, bytes.NewReader(data), "da")
		after := count(t)
		if err != nil {
			var v *apperr.Validation
			if !errors.As(err, &v) || len(v.Fields) == 0 {
				t.Fatalf("%T %v, want a validation error with fields", err, err)
			}
			if after != before {
				t.Fatalf("a refused file added %d members", after-before)
			}
			return
		}
		if after-before != int64(rep.Imported) {
			t.Fatalf("report says %d imported, %d members added", rep.Imported, after-before)
		}
		if rep.Imported < 0 || rep.Known < 0 || rep.Imported+rep.Known > rep.Rows {
			t.Fatalf("counts do not add up: %+v", rep)
		}
		for _, e := range rep.Errors {
			if e.Line < 1 || e.MessageID == "" {
				t.Fatalf("row error without line or message: %+v", e)
			}
		}
	})
}
