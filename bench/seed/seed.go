// Package seed fills a database with a realistic survey and many responses
// for benchmarks: a 20-question questionnaire in Danish, Dutch and English
// (single choice with "other", multiple choice, scales, numbers, a matrix,
// a ranking, short and long texts, one conditional question) and n
// anonymous responses with varied, valid answers.
//
// Every response is built as a citizen's answers and checked by the real
// surveys.Definition.Check, so the rows are exactly what the platform
// stores. On PostgreSQL the rows go in with COPY (100,000 responses, about
// 2.4 million answer rows, in about 25 s on 2 cores); on SQLite in batched
// INSERTs inside one transaction.
//
//	id, err := seed.Survey(ctx, gdb, 100_000)
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// batch is how many responses are generated and written at a time.
const batch = 5000

// Survey creates the benchmark survey, opens it and stores n responses. It
// returns the survey's id. The answers are random but fixed: the same n
// gives the same figures (only the ids differ).
func Survey(ctx context.Context, gdb *gorm.DB, n int) (string, error) {
	store := surveys.NewStore(gdb)
	sv, err := store.Create(ctx, Meta(), Definition(), "", nil)
	if err != nil {
		return "", fmt.Errorf("seed: create survey: %w", err)
	}
	if _, err := store.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
		return "", fmt.Errorf("seed: open survey: %w", err)
	}
	if err := Responses(ctx, gdb, sv.ID, n, 1); err != nil {
		return "", err
	}
	return sv.ID, nil
}

// Responses adds n responses to the survey surveyID, which must have
// Definition's questions; seed chooses the random answers.
func Responses(ctx context.Context, gdb *gorm.DB, surveyID string, n int, seed uint64) error {
	var sv models.Survey
	if err := gdb.WithContext(ctx).Where("id = ?", surveyID).Take(&sv).Error; err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	def, err := surveys.Parse(sv.Definition)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 20))
	today := time.Now().UTC()
	write := writeGORM
	if gdb.Dialector.Name() == "postgres" {
		write = writeCopy
	}
	for done := 0; done < n; {
		size := min(batch, n-done)
		var b rows
		for range size {
			resp := models.Response{ID: models.NewID(), SurveyID: surveyID, Channel: pick(rng, channels),
				SubmittedOn: today.AddDate(0, 0, -rng.IntN(28)).Format(time.DateOnly)}
			answers, err := def.Check(Answers(rng))
			if err != nil {
				return fmt.Errorf("seed: generated answers are invalid: %w", err)
			}
			for i := range answers {
				answers[i].ResponseID, answers[i].SurveyID = resp.ID, surveyID
			}
			b.responses = append(b.responses, resp)
			b.answers = append(b.answers, answers...)
			if resp.Channel == "panel" {
				b.attrs = append(b.attrs,
					models.ResponseAttribute{ResponseID: resp.ID, Field: "gender", Value: pick(rng, genders)},
					models.ResponseAttribute{ResponseID: resp.ID, Field: "age_band", Value: pick(rng, ageBands)})
			}
		}
		if err := write(ctx, gdb, b); err != nil {
			return fmt.Errorf("seed: write responses: %w", err)
		}
		done += size
	}
	return nil
}

// rows is one batch to write.
type rows struct {
	responses []models.Response
	answers   []models.Answer
	attrs     []models.ResponseAttribute
}

func writeGORM(ctx context.Context, gdb *gorm.DB, b rows) error {
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(b.responses, 500).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(b.answers, 500).Error; err != nil {
			return err
		}
		if len(b.attrs) == 0 {
			return nil
		}
		return tx.CreateInBatches(b.attrs, 500).Error
	})
}

// CopyTx runs fn in one transaction on a pgx connection of gdb's pool,
// for PostgreSQL's COPY (tx.CopyFrom), which GORM does not offer.
func CopyTx(ctx context.Context, gdb *gorm.DB, fn func(tx pgx.Tx) error) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		return pgx.BeginFunc(ctx, sc.Conn(), fn)
	})
}

// writeCopy writes a batch with PostgreSQL's COPY through the pool's pgx
// connection, in one transaction.
func writeCopy(ctx context.Context, gdb *gorm.DB, b rows) error {
	return CopyTx(ctx, gdb, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"responses"}, []string{"id", "survey_id", "channel", "submitted_on"},
			pgx.CopyFromSlice(len(b.responses), func(i int) ([]any, error) {
				r := b.responses[i]
				return []any{r.ID, r.SurveyID, r.Channel, r.SubmittedOn}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"response_answers"},
			[]string{"response_id", "survey_id", "question_key", "seq", "option_key", "row_key", "number", "text", "rank"},
			pgx.CopyFromSlice(len(b.answers), func(i int) ([]any, error) {
				a := b.answers[i]
				return []any{a.ResponseID, a.SurveyID, a.QuestionKey, a.Seq, a.OptionKey, a.RowKey, a.Number, a.Text, a.Rank}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"response_attributes"}, []string{"response_id", "field", "value"},
			pgx.CopyFromSlice(len(b.attrs), func(i int) ([]any, error) {
				a := b.attrs[i]
				return []any{a.ResponseID, a.Field, a.Value}, nil
			}))
		return err
	})
}

// share is a value and its weight in a random choice.
type share struct {
	key    string
	weight int
}

func pick(rng *rand.Rand, shares []share) string {
	total := 0
	for _, s := range shares {
		total += s.weight
	}
	n := rng.IntN(total)
	for _, s := range shares {
		if n < s.weight {
			return s.key
		}
		n -= s.weight
	}
	return shares[len(shares)-1].key
}

var (
	channels = []share{{"panel", 35}, {"facebook", 22}, {"web", 15}, {"instagram", 10}, {"email", 8}, {"x", 5}, {"qr", 5}}
	genders  = []share{{"woman", 50}, {"man", 48}, {"other", 2}}
	ageBands = []share{{"16_29", 18}, {"30_44", 26}, {"45_64", 34}, {"65_plus", 22}}
)

// Meta is the benchmark survey's settings: anonymous, several responses
// per participant allowed (a benchmark has no participants), three languages.
func Meta() surveys.Meta {
	return surveys.Meta{
		Title:       t3("Borgerundersøgelse om kommunens service", "Bewonersonderzoek over de dienstverlening", "Residents' survey on the municipality's services"),
		Description: t3("En undersøgelse til belastningstest.", "Een vragenlijst voor belastingtests.", "A survey for load tests."),
		Languages:   []string{"da", "nl", "en"}, Anonymous: true, AllowMultiple: true,
	}
}

func t3(da, nl, en string) models.Text { return models.Text{"da": da, "nl": nl, "en": en} }

func o3(key, da, nl, en string) surveys.Option { return surveys.Option{Key: key, Text: t3(da, nl, en)} }

func ptr(f float64) *float64 { return &f }

// Definition is the benchmark questionnaire: 20 questions on three pages
// (6 single choice, 2 with "other"; 3 multiple choice, one of them shown
// only to those who want the municipality on social media; 3 scales;
// 3 numbers; a 4-row matrix; a ranking of 5; 2 short and 1 long text).
func Definition() surveys.Definition {
	yesNo := []surveys.Option{o3("yes", "Ja", "Ja", "Yes"), o3("no", "Nej", "Nee", "No"), o3("no_opinion", "Ved ikke", "Weet niet", "Don't know")}
	platforms := []surveys.Option{o3("facebook", "Facebook", "Facebook", "Facebook"), o3("x", "X (Twitter)", "X (Twitter)", "X (Twitter)"),
		o3("instagram", "Instagram", "Instagram", "Instagram"), o3("linkedin", "LinkedIn", "LinkedIn", "LinkedIn"),
		o3("youtube", "YouTube", "YouTube", "YouTube"), o3("tiktok", "TikTok", "TikTok", "TikTok")}
	return surveys.Definition{Sections: []surveys.Section{
		{Key: "about", Title: t3("Om dig", "Over u", "About you"), Questions: []surveys.Question{
			{Key: "respondent", Type: surveys.Single, Required: true, AllowOther: true, Text: t3("Hvem svarer?", "Wie antwoordt er?", "Who is answering?"),
				Options: []surveys.Option{o3("resident", "Borger i kommunen", "Inwoner van de gemeente", "Resident"), o3("entrepreneur", "Erhvervsdrivende", "Ondernemer", "Entrepreneur"),
					o3("visitor", "Besøgende", "Bezoeker", "Visitor"), o3("works_here", "Arbejder i kommunen", "Werkt in de gemeente", "Works here")}},
			{Key: "age", Type: surveys.Single, Required: true, Text: t3("Hvor gammel er du?", "Hoe oud bent u?", "How old are you?"),
				Options: []surveys.Option{o3("16_29", "16-29 år", "16-29 jaar", "16-29"), o3("30_44", "30-44 år", "30-44 jaar", "30-44"),
					o3("45_64", "45-64 år", "45-64 jaar", "45-64"), o3("65_plus", "65 år eller ældre", "65 jaar of ouder", "65 or older")}},
			{Key: "district", Type: surveys.Single, Text: t3("Hvilken bydel bor du i?", "In welke wijk woont u?", "Which district do you live in?"),
				Options: []surveys.Option{o3("centrum", "Centrum", "Centrum", "City centre"), o3("noerrebro", "Nørrebro", "Nørrebro", "Nørrebro"),
					o3("oesterbro", "Østerbro", "Østerbro", "Østerbro"), o3("vesterbro", "Vesterbro", "Vesterbro", "Vesterbro"), o3("amager", "Amager", "Amager", "Amager")}},
			{Key: "household", Type: surveys.Number, Min: ptr(1), Max: ptr(15), Text: t3("Hvor mange personer bor i din husstand?", "Uit hoeveel personen bestaat uw huishouden?", "How many people live in your household?")},
			{Key: "distance", Type: surveys.Number, Min: ptr(0), Max: ptr(500), Text: t3("Hvor langt har du til rådhuset (km)?", "Hoe ver woont u van het stadhuis (km)?", "How far do you live from the town hall (km)?")},
		}},
		{Key: "service", Title: t3("Kommunens service", "De dienstverlening", "The municipality's services"), Questions: []surveys.Question{
			{Key: "satisfaction", Type: surveys.Scale, Required: true, Scale: &surveys.ScaleSpec{Min: 1, Max: 5, MinLabel: t3("Meget utilfreds", "Zeer ontevreden", "Very dissatisfied"), MaxLabel: t3("Meget tilfreds", "Zeer tevreden", "Very satisfied")},
				Text: t3("Hvor tilfreds er du med kommunens service?", "Hoe tevreden bent u over de dienstverlening?", "How satisfied are you with the services?")},
			{Key: "trust", Type: surveys.Scale, Scale: &surveys.ScaleSpec{Min: 0, Max: 10}, Text: t3("Hvor meget stoler du på kommunen?", "Hoeveel vertrouwen hebt u in de gemeente?", "How much do you trust the municipality?")},
			{Key: "recommend", Type: surveys.Scale, Scale: &surveys.ScaleSpec{Min: 0, Max: 10}, Text: t3("Vil du anbefale at bo her?", "Zou u aanraden hier te wonen?", "Would you recommend living here?")},
			{Key: "contact", Type: surveys.Multiple, AllowOther: true, MaxSelections: 3, Text: t3("Hvordan kontakter du kommunen?", "Hoe neemt u contact op met de gemeente?", "How do you contact the municipality?"),
				Options: []surveys.Option{o3("phone", "Telefon", "Telefoon", "Phone"), o3("email", "E-mail", "E-mail", "Email"), o3("counter", "Borgerservice", "Balie", "Service desk"),
					o3("website", "Hjemmesiden", "Website", "Website"), o3("social", "Sociale medier", "Sociale media", "Social media")}},
			{Key: "quality", Type: surveys.Matrix, Text: t3("Hvordan vurderer du …", "Hoe beoordeelt u …", "How do you rate …"),
				Rows: []surveys.Option{o3("roads", "Veje og fortove", "Wegen en stoepen", "Roads and pavements"), o3("parks", "Parker", "Parken", "Parks"),
					o3("waste", "Affaldsindsamling", "Afvalinzameling", "Waste collection"), o3("libraries", "Biblioteker", "Bibliotheken", "Libraries")},
				Options: []surveys.Option{o3("good", "Godt", "Goed", "Good"), o3("fair", "Middel", "Redelijk", "Fair"), o3("poor", "Dårligt", "Slecht", "Poor"), o3("dont_know", "Ved ikke", "Weet niet", "Don't know")}},
			{Key: "priorities", Type: surveys.Ranking, Text: t3("Hvad skal kommunen prioritere?", "Wat moet de gemeente voorrang geven?", "What should the municipality put first?"),
				Options: []surveys.Option{o3("housing", "Boliger", "Woningen", "Housing"), o3("climate", "Klima", "Klimaat", "Climate"), o3("schools", "Skoler", "Scholen", "Schools"),
					o3("elderly", "Ældrepleje", "Ouderenzorg", "Elderly care"), o3("traffic", "Trafik", "Verkeer", "Traffic")}},
			{Key: "hours", Type: surveys.Number, Min: ptr(0), Max: ptr(80), Text: t3("Hvor mange timer om ugen bruger du på frivilligt arbejde?", "Hoeveel uur per week doet u vrijwilligerswerk?", "How many hours a week do you volunteer?")},
			{Key: "answer_time", Type: surveys.Single, Text: t3("Hvor hurtigt forventer du svar?", "Hoe snel verwacht u antwoord?", "How soon do you expect an answer?"),
				Options: []surveys.Option{o3("hour", "Inden for en time", "Binnen een uur", "Within an hour"), o3("day", "Samme dag", "Dezelfde dag", "The same day"),
					o3("two_days", "1-2 arbejdsdage", "1-2 werkdagen", "1-2 working days"), o3("week", "Inden for en uge", "Binnen een week", "Within a week")}},
		}},
		{Key: "social", Title: t3("Sociale medier", "Sociale media", "Social media"), Questions: []surveys.Question{
			{Key: "use", Type: surveys.Multiple, Text: t3("Hvilke sociale medier bruger du?", "Welke sociale media gebruikt u?", "Which social media do you use?"), Options: platforms},
			{Key: "active", Type: surveys.Single, Required: true, Text: t3("Skal kommunen være aktiv på sociale medier?", "Moet de gemeente actief zijn op sociale media?", "Should the municipality be active on social media?"), Options: yesNo},
			{Key: "topics", Type: surveys.Multiple, AllowOther: true, ShowIf: &surveys.Condition{Question: "active", AnyOf: []string{"yes"}},
				Text: t3("Om hvad?", "Waarover?", "About what?"),
				Options: []surveys.Option{o3("crises", "Kriser", "Crises", "Crises"), o3("road_works", "Vejarbejde", "Wegwerkzaamheden", "Road works"),
					o3("events", "Arrangementer", "Evenementen", "Events"), o3("news", "Nyheder", "Nieuws", "News")}},
			{Key: "newsletter", Type: surveys.Single, AllowOther: true, Text: t3("Vil du have et nyhedsbrev?", "Wilt u een nieuwsbrief?", "Would you like a newsletter?"),
				Options: []surveys.Option{o3("weekly", "Ugentligt", "Wekelijks", "Weekly"), o3("monthly", "Månedligt", "Maandelijks", "Monthly"), o3("never", "Nej tak", "Nee, dank u", "No, thanks")}},
			{Key: "remark", Type: surveys.Text, Text: t3("Har du en kort bemærkning?", "Hebt u een korte opmerking?", "Any short remark?")},
			{Key: "idea", Type: surveys.Text, Text: t3("Hvad kan vi gøre bedre?", "Wat kunnen we beter doen?", "What could we do better?")},
			{Key: "story", Type: surveys.LongText, Text: t3("Fortæl om din seneste kontakt med kommunen", "Vertel over uw laatste contact met de gemeente", "Tell us about your last contact with the municipality")},
		}},
	}}
}

var (
	shortTexts = []string{
		"Svar hurtigere på Facebook, tak.", "Flere cykelstier på Amager!", "Meer groen in de wijk graag.", "Bedre skilte ved rådhuset.",
		"Åbningstiderne passer ikke til folk, der arbejder.", "Zorg voor betere verlichting in het park.", "More information in English please.",
		"Tak for en god service.", "Het afval wordt te laat opgehaald.", "Hold fortovene fri for sne og is.",
	}
	longTexts = []string{
		"Jeg ringede til Borgerservice om mit pas og fik svar samme dag. Medarbejderen var venlig og forklarede, hvad jeg skulle medbringe. Det eneste, der kunne være bedre, er ventetiden i telefonen.",
		"Ik heb een melding gedaan over een kapotte lantaarnpaal via de website. Na twee weken was hij gerepareerd, maar ik kreeg geen bericht. Een korte terugkoppeling zou fijn zijn.",
		"I wrote to the municipality about a parking permit. The answer came after a week and was clear, though the form on the website was hard to find.",
		"Vi søgte om tilskud til vores grundejerforening. Sagsbehandlingen tog lang tid, og vi måtte rykke flere gange. Når svaret kom, var det grundigt og forståeligt.",
		"Via Instagram vroeg ik naar de openingstijden van het zwembad. Binnen een uur had ik antwoord, heel prettig. Doe dat vaker!",
	}
)

// Answers returns one respondent's random answers, in the shapes the API
// takes (option keys, lists of keys, numbers, texts, {row: option}).
func Answers(rng *rand.Rand) surveys.Answers {
	a := surveys.Answers{}
	one := func(keys ...string) string { return keys[rng.IntN(len(keys))] }
	some := func(max int, keys ...string) []any {
		var out []any
		for _, i := range rng.Perm(len(keys)) {
			if len(out) < max && rng.IntN(100) < 40 {
				out = append(out, keys[i])
			}
		}
		if len(out) == 0 {
			out = append(out, keys[rng.IntN(len(keys))])
		}
		return out
	}
	maybe := func(pct int) bool { return rng.IntN(100) < pct }
	a["respondent"] = pick(rng, []share{{"resident", 78}, {"entrepreneur", 8}, {"visitor", 6}, {"works_here", 6}, {"other", 2}})
	if a["respondent"] == "other" {
		a["respondent.other"] = one("Studerende", "Student", "Pendler", "Gepensioneerd")
	}
	a["age"] = pick(rng, ageBands)
	if maybe(90) {
		a["district"] = one("centrum", "noerrebro", "oesterbro", "vesterbro", "amager")
	}
	if maybe(85) {
		a["household"] = float64(1 + rng.IntN(6))
	}
	if maybe(70) {
		a["distance"] = float64(rng.IntN(250)) / 10
	}
	a["satisfaction"] = float64(1 + rng.IntN(5))
	if maybe(90) {
		a["trust"] = float64(rng.IntN(11))
	}
	if maybe(80) {
		a["recommend"] = float64(rng.IntN(11))
	}
	if maybe(90) {
		c := some(3, "phone", "email", "counter", "website", "social", "other")
		a["contact"] = c
		for _, k := range c {
			if k == "other" {
				a["contact.other"] = one("Brev", "Via de wijkagent", "At a public meeting")
			}
		}
	}
	if maybe(88) {
		m := map[string]any{}
		for _, r := range []string{"roads", "parks", "waste", "libraries"} {
			if maybe(95) {
				m[r] = one("good", "fair", "poor", "dont_know")
			}
		}
		if len(m) > 0 {
			a["quality"] = m
		}
	}
	if maybe(75) {
		keys := []string{"housing", "climate", "schools", "elderly", "traffic"}
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		list := make([]any, len(keys))
		for i, k := range keys {
			list[i] = k
		}
		a["priorities"] = list
	}
	if maybe(60) {
		a["hours"] = float64(rng.IntN(15))
	}
	if maybe(90) {
		a["answer_time"] = one("hour", "day", "two_days", "week")
	}
	if maybe(95) {
		a["use"] = some(6, "facebook", "x", "instagram", "linkedin", "youtube", "tiktok")
	}
	a["active"] = pick(rng, []share{{"yes", 60}, {"no", 22}, {"no_opinion", 18}})
	if a["active"] == "yes" && maybe(85) {
		t := some(4, "crises", "road_works", "events", "news", "other")
		a["topics"] = t
		for _, k := range t {
			if k == "other" {
				a["topics.other"] = one("Affald", "Sport", "Cultuur")
			}
		}
	}
	if maybe(80) {
		a["newsletter"] = pick(rng, []share{{"weekly", 20}, {"monthly", 45}, {"never", 33}, {"other", 2}})
		if a["newsletter"] == "other" {
			a["newsletter.other"] = "Kun ved større nyheder"
		}
	}
	if maybe(30) {
		a["remark"] = one(shortTexts...)
	}
	if maybe(20) {
		a["idea"] = one(shortTexts...)
	}
	if maybe(12) {
		a["story"] = strings.TrimSpace(one(longTexts...))
	}
	return a
}
