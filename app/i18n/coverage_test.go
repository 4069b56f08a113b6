package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

var pluralKeys = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

// localeIDs reads every locale file's message ids.
func localeIDs(t *testing.T) map[string]map[string]bool {
	t.Helper()
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	files, _ := fs.Glob(a.Locales, "*.toml")
	for _, f := range files {
		var m map[string]any
		data, _ := fs.ReadFile(a.Locales, f)
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ids := map[string]bool{}
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for k, v := range m {
				if sub, ok := v.(map[string]any); ok {
					isPlural := false
					for sk := range sub {
						isPlural = isPlural || pluralKeys[sk]
					}
					if !isPlural {
						walk(prefix+k+".", sub)
						continue
					}
				}
				ids[prefix+k] = true
			}
		}
		walk("", m)
		out[strings.TrimSuffix(f, ".toml")] = ids
	}
	return out
}

// usedIDs finds message ids used in templates (.L.T "id", .L.Tn "id") and
// string literals in Go code that look like ids of a locale section.
func usedIDs(t *testing.T, sections map[string]bool) map[string][]string {
	t.Helper()
	root, err := assets.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	tmplRe := regexp.MustCompile(`\.Tn? "([a-z0-9_.]+)"`)
	idRe := regexp.MustCompile(`^[a-z_]+\.[a-z0-9_.]*[a-z0-9]$`)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "data" {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".html"):
			b, _ := os.ReadFile(p)
			for _, m := range tmplRe.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = append(used[m[1]], rel)
			}
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && idRe.MatchString(s) && sections[strings.SplitN(s, ".", 2)[0]] {
					used[s] = append(used[s], rel)
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ids built at run time.
	for _, r := range models.Roles {
		used["role."+string(r)] = append(used["role."+string(r)], "models.Roles")
	}
	for _, t := range surveys.Types {
		used["survey.type_"+t] = append(used["survey.type_"+t], "surveys.Types")
	}
	for _, st := range []string{models.SurveyDraft, models.SurveyOpen, models.SurveyClosed} {
		used["survey.status_"+st] = append(used["survey.status_"+st], "survey statuses")
	}
	for _, ch := range surveys.Channels {
		used["channel."+ch] = append(used["channel."+ch], "surveys.Channels")
	}
	for _, l := range []string{"da", "nl", "en"} {
		used["language.code_"+l] = append(used["language.code_"+l], "language names")
	}
	used["home.kind_survey"] = append(used["home.kind_survey"], "home page")
	for _, k := range []string{"title", "description", "thanks", "page_title", "question", "help", "option", "row", "min_label", "max_label"} {
		used["survey.missing_"+k] = append(used["survey.missing_"+k], "surveys.Missing")
	}
	for m := 1; m <= 12; m++ {
		used["month."+strconv.Itoa(m)] = append(used["month."+strconv.Itoa(m)], "i18n.Date")
	}
	return used
}

// TestEveryMessageIDExistsInEveryLocale fails when a template or code uses
// an id a locale lacks, or when the locale files do not hold the same ids.
func TestEveryMessageIDExistsInEveryLocale(t *testing.T) {
	locales := localeIDs(t)
	if len(locales) < 3 {
		t.Fatalf("found %d locale files, want da, nl and en", len(locales))
	}
	sections := map[string]bool{}
	all := map[string]bool{}
	for _, ids := range locales {
		for id := range ids {
			sections[strings.SplitN(id, ".", 2)[0]] = true
			all[id] = true
		}
	}
	used := usedIDs(t, sections)
	if len(used) < 50 {
		t.Fatalf("found only %d used ids: the scan is broken", len(used))
	}
	var problems []string
	for id, where := range used {
		for lang, ids := range locales {
			if !ids[id] {
				problems = append(problems, lang+" lacks "+id+" (used in "+where[0]+")")
			}
		}
	}
	for id := range all {
		for lang, ids := range locales {
			if !ids[id] {
				problems = append(problems, lang+" lacks "+id+", which another locale has")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
