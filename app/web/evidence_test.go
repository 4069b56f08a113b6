package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/webtest"
)

// A survey cited several times, in every language, is read from the
// database once per request (policy.Memo): its results are computed once.
func TestCitedSurveyComputedOncePerRequest(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		api := e.APIClient("webcare@example.dk", "staff")
		a := api.PostJSON("/api/v1/surveys", `{"title": {"da": "Kanaler", "en": "Channels"}, "languages": ["da", "en"], "publish_results": true,
			"questions": [{"key": "channel", "type": "single", "text": {"da": "Hvor?", "en": "Where?"},
			"options": [{"key": "facebook", "text": {"da": "Facebook", "en": "Facebook"}}, {"key": "phone", "text": {"da": "Telefon", "en": "Phone"}}]}]}`)
		if a.Status != http.StatusCreated {
			t.Fatalf("survey: %d %s", a.Status, a.Body)
		}
		var sv struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &sv)
		if o := api.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`); o.Status != http.StatusOK {
			t.Fatalf("open: %d", o.Status)
		}
		for _, o := range []string{"facebook", "facebook", "phone"} {
			if r := e.Browser().PostJSON("/api/v1/surveys/"+sv.ID+"/responses", `{"answers": {"channel": "`+o+`"}}`); r.Status != http.StatusCreated {
				t.Fatalf("response: %d %s", r.Status, r.Body)
			}
		}
		var queries atomic.Int64
		count := func(*gorm.DB) { queries.Add(1) }
		cb := e.DB.Callback()
		_ = cb.Query().After("gorm:query").Register("test:count_query", count)
		_ = cb.Row().After("gorm:row").Register("test:count_row", count)
		_ = cb.Raw().After("gorm:raw").Register("test:count_raw", count)
		st := e.Srv.Policy()
		resolve := func(ctx context.Context, refs []string, langs []string) int64 {
			t.Helper()
			queries.Store(0)
			for _, ref := range refs {
				kind := policy.KindSurveyOption
				if len(ref) == len(sv.ID)+len(":channel") {
					kind = policy.KindSurveyQuestion
				}
				for _, l := range langs {
					f, err := st.Figure(ctx, kind, ref, l)
					if err != nil || f.Base != 3 {
						t.Fatalf("%s in %s: %+v (%v)", ref, l, f, err)
					}
				}
			}
			return queries.Load()
		}
		one := resolve(policy.WithMemo(context.Background()), []string{sv.ID + ":channel:facebook"}, []string{"da"})
		all := resolve(policy.WithMemo(context.Background()), []string{sv.ID + ":channel:facebook", sv.ID + ":channel:phone", sv.ID + ":channel"},
			[]string{"da", "nl", "en"})
		if one == 0 || all != one {
			t.Errorf("one figure: %d queries; nine figures of the same survey: %d", one, all)
		}
		// Without a Memo every figure reads the survey again.
		if again := resolve(context.Background(), []string{sv.ID + ":channel:facebook", sv.ID + ":channel:phone"}, []string{"da"}); again != 2*one {
			t.Errorf("two figures without a memo: %d queries, want %d", again, 2*one)
		}
	})
}
