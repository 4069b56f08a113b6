package surveys

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// DemoResponses is how many simulated responses SeedDemo stores: Amsterdam's
// survey had a little over 2,400 respondents.
const DemoResponses = 2400

// DemoTitleMarker ends the demo survey's title in every language; SeedDemo
// finds its survey again by it.
const DemoTitleMarker = " (demo)"

// demoSeed fixes the random source, so every demo database holds the same
// answers (only the ids and, relative to today, the dates differ).
var demoSeed = [2]uint64{2013, 2400}

// share is an option key and the percentage of a group that chooses it.
type share struct {
	key string
	pct float64
}

// The figures of the demo survey. Those marked (seed) are Amsterdam's; the
// rest are plausible fill-ins consistent with its findings (transactions
// are not wanted, answers within 1-2 working days, knowing who answers
// matters).
var (
	demoRespondentTypes = []share{{"resident", 78}, {"entrepreneur", 8}, {"visitor", 6}, {"works_in_city", 8}}
	// Where respondents came from: the citizen panel brings the most, the
	// rest answered a call on the city's social media or its website.
	demoChannels = []share{{"panel", 46}, {"facebook", 17}, {"x", 12}, {"instagram", 7}, {"linkedin", 4}, {"web", 9}, {"email", 5}}
	demoUses     = []share{{"facebook", 68}, {"x", 38}, {"instagram", 45}, {"linkedin", 30}, {"youtube", 52}, {"tiktok", 14}}
	demoUsesNone = 7.0
	// Of all respondents (seed: 76, 51, 33).
	demoWantsTo = []share{{"find_information", 76}, {"ask_question", 51}, {"leave_remark", 33}, {"report_problem", 41}, {"transactions", 14}}
	// Seed: about 60% yes.
	demoShouldBeActive = []share{{"yes", 60}, {"no", 22}, {"no_opinion", 18}}
	// Of those who say yes, how many answer the two optional follow-ups.
	demoPlatformsAnswered = 1400
	demoTopicsAnswered    = 1416
	// Of those who answered (seed: Facebook 76, Twitter 65).
	demoPlatforms = []share{{"facebook", 76}, {"x", 65}, {"instagram", 38}, {"linkedin", 17}, {"youtube", 22}, {"tiktok", 9}}
	// Seed: crises, road works, events, then public-space reports.
	demoTopics     = []share{{"crises", 78}, {"road_works", 71}, {"events", 62}, {"public_space_reports", 58}, {"news", 45}, {"consultations", 34}}
	demoAnswerTime = []share{{"within_hour", 12}, {"same_day", 30}, {"one_two_working_days", 41}, {"within_week", 17}}
	// Of the 98% who answer the scale.
	demoKnowWhoAnswered = 98.0
	demoKnowWho         = []share{{"1", 4}, {"2", 8}, {"3", 20}, {"4", 36}, {"5", 32}}
	demoRemarksShare    = 4.0
	demoRemarks         = []string{
		"Zorg dat je op social media ook echt antwoord krijgt, en niet alleen een verwijzing naar het telefoonnummer.",
		"Graag een vast account per stadsdeel, dan weet je waar je moet zijn.",
		"Ik wil vooral snel horen over wegafsluitingen en omleidingen.",
		"Bij een calamiteit moet de informatie sneller op social media staan dan nu.",
		"Zet onder een antwoord de naam van de medewerker, dat maakt het persoonlijker.",
		"Ik deel liever geen persoonlijke zaken via Facebook; houd het bij algemene informatie.",
		"Meldingen over losse stoeptegels en afval via social media zou heel handig zijn.",
		"Det er fint med information, men sagsbehandling hører ikke hjemme på Facebook.",
		"Svar gerne inden for et par dage, og sig det, hvis det tager længere tid.",
		"Please post in English as well; many of us who work in the city don't read Dutch.",
		"A recognisable official account matters, there are too many unofficial pages.",
		"Laat ook zien wat er met onze opmerkingen gebeurt.",
	}
)

// SeedDemo stores the demo survey: the social media questionnaire, open,
// with DemoResponses simulated anonymous responses whose figures follow
// Amsterdam's survey. It returns the survey and how many responses it
// added; when the demo survey already has responses it adds none.
func SeedDemo(ctx context.Context, gdb *gorm.DB, createdBy *string) (*models.Survey, int, error) {
	t, ok := TemplateByKey(SocialMediaTemplate)
	if !ok {
		return nil, 0, errors.New("demo: template " + SocialMediaTemplate + " is missing")
	}
	for lang, s := range t.Meta.Title {
		t.Meta.Title[lang] = s + DemoTitleMarker
	}
	var sv *models.Survey
	added := 0
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		store := NewStore(tx)
		var err error
		if sv, err = findDemo(tx); err != nil {
			return err
		}
		if sv != nil {
			var n int64
			if err := tx.Model(&models.Response{}).Where("survey_id = ?", sv.ID).Count(&n).Error; err != nil || n > 0 {
				return err
			}
		} else if sv, err = store.Create(ctx, t.Meta, t.Definition, t.Key, createdBy); err != nil {
			return err
		}
		if sv.Status != models.SurveyOpen {
			if sv, err = store.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
				return err
			}
		}
		def, err := Parse(sv.Definition)
		if err != nil {
			return err
		}
		responses, answers, err := simulateDemo(def, sv.ID, store.now())
		if err != nil {
			return err
		}
		if err := tx.CreateInBatches(responses, 500).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(answers, 1000).Error; err != nil {
			return err
		}
		added = len(responses)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("demo survey: %w", err)
	}
	return sv, added, nil
}

// findDemo returns the demo survey, or nil when there is none.
func findDemo(tx *gorm.DB) (*models.Survey, error) {
	var list []models.Survey
	if err := tx.Where("template_key = ?", SocialMediaTemplate).Order("created_at").Find(&list).Error; err != nil {
		return nil, err
	}
	for i := range list {
		if strings.HasSuffix(list[i].Title.In("en"), DemoTitleMarker) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// simulateDemo builds the responses and answer rows. Every figure is
// assigned as an exact count and then shuffled, so the marginals are the
// ones above to the rounding of one respondent; each response goes through
// Check, which also makes its answer rows.
func simulateDemo(def Definition, surveyID string, now time.Time) ([]models.Response, []models.Answer, error) {
	const n = DemoResponses
	rng := rand.New(rand.NewPCG(demoSeed[0], demoSeed[1]))
	all := seq(n)
	ans := make([]Answers, n)
	for i := range ans {
		ans[i] = Answers{}
	}
	setSingle := func(key string, who []int, labels []string) {
		for j, i := range who {
			ans[i][key] = labels[j]
		}
	}
	setMultiple := func(key string, who []int, picked [][]string) {
		for j, i := range who {
			if len(picked[j]) > 0 {
				list := make([]any, len(picked[j]))
				for k, o := range picked[j] {
					list[k] = o
				}
				ans[i][key] = list
			}
		}
	}

	channels := exactSingle(rng, n, demoChannels)
	setSingle("respondent_type", all, exactSingle(rng, n, demoRespondentTypes))

	// Who uses what: whoever came through a platform's call uses it, and
	// nobody who did says they use none.
	byChannel := map[string][]int{}
	for i, c := range channels {
		byChannel[c] = append(byChannel[c], i)
	}
	var offPlatform []int
	for i, c := range channels {
		if c == "panel" || c == "web" || c == "email" {
			offPlatform = append(offPlatform, i)
		}
	}
	none := pick(rng, offPlatform, nil, count(n, demoUsesNone))
	users := without(all, none)
	must := map[string][]int{}
	for _, s := range demoUses {
		must[s.key] = byChannel[s.key]
	}
	uses := exactMultiple(rng, n, users, demoUses, must, true)
	for _, i := range none {
		uses[i] = []string{"none"}
	}
	setMultiple("uses_platforms", all, uses)

	setMultiple("wants_to", all, exactMultiple(rng, n, all, demoWantsTo, nil, false))

	active := exactSingle(rng, n, demoShouldBeActive)
	setSingle("should_be_active", all, active)
	var yes []int
	for i, a := range active {
		if a == "yes" {
			yes = append(yes, i)
		}
	}
	answeredPlatforms := pick(rng, yes, nil, demoPlatformsAnswered)
	setMultiple("platforms", answeredPlatforms, project(exactMultiple(rng, n, answeredPlatforms, demoPlatforms, nil, true), answeredPlatforms))
	answeredTopics := pick(rng, yes, nil, demoTopicsAnswered)
	setMultiple("topics", answeredTopics, project(exactMultiple(rng, n, answeredTopics, demoTopics, nil, true), answeredTopics))

	setSingle("answer_time", all, exactSingle(rng, n, demoAnswerTime))

	knowWho := pick(rng, all, nil, count(n, demoKnowWhoAnswered))
	for j, label := range exactSingle(rng, len(knowWho), demoKnowWho) {
		v, err := strconv.ParseFloat(label, 64)
		if err != nil {
			return nil, nil, err
		}
		ans[knowWho[j]]["know_who_answers"] = v
	}

	for j, i := range pick(rng, all, nil, count(n, demoRemarksShare)) {
		ans[i]["remarks"] = demoRemarks[j%len(demoRemarks)]
	}

	// Four weeks of fieldwork ending today: the panel answers mostly in the
	// days after the invitation and after the reminder two weeks later; the
	// calls on social media and the website bring answers throughout.
	const days = 28
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1))
	responses := make([]models.Response, n)
	var rows []models.Answer
	for i := range n {
		var d int
		switch {
		case channels[i] == "panel" && rng.IntN(100) < 75:
			d = int(rng.ExpFloat64() * 3)
		case channels[i] == "panel":
			d = 14 + int(rng.ExpFloat64()*3)
		default:
			d = rng.IntN(days)
		}
		d = min(d, days-1)
		resp := models.Response{ID: models.NewID(), SurveyID: surveyID, Channel: channels[i], SubmittedOn: start.AddDate(0, 0, d).Format("2006-01-02")}
		got, err := def.Check(ans[i])
		if err != nil {
			return nil, nil, fmt.Errorf("simulated response %d: %w", i, err)
		}
		for k := range got {
			got[k].ResponseID, got[k].SurveyID = resp.ID, surveyID
		}
		responses[i] = resp
		rows = append(rows, got...)
	}
	return responses, rows, nil
}

// count is pct percent of n, rounded.
func count(n int, pct float64) int {
	return int(math.Round(float64(n) * pct / 100))
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func without(all, drop []int) []int {
	gone := map[int]bool{}
	for _, i := range drop {
		gone[i] = true
	}
	var out []int
	for _, i := range all {
		if !gone[i] {
			out = append(out, i)
		}
	}
	return out
}

// project picks, from a per-respondent slice, the entries of who.
func project(byRespondent [][]string, who []int) [][]string {
	out := make([][]string, len(who))
	for j, i := range who {
		out[j] = byRespondent[i]
	}
	return out
}

// exactSingle gives n respondents one option each, each option to exactly
// its share (the last takes what rounding leaves), in random order.
func exactSingle(rng *rand.Rand, n int, shares []share) []string {
	labels := make([]string, 0, n)
	for k, s := range shares {
		c := count(n, s.pct)
		if k == len(shares)-1 {
			c = n - len(labels)
		}
		for range c {
			labels = append(labels, s.key)
		}
	}
	rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	return labels
}

// pick chooses k of pool at random, taking those in must first.
func pick(rng *rand.Rand, pool, must []int, k int) []int {
	must = append([]int(nil), must...)
	rng.Shuffle(len(must), func(i, j int) { must[i], must[j] = must[j], must[i] })
	if len(must) >= k {
		return must[:k]
	}
	rest := without(pool, must)
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append(must, rest[:k-len(must)]...)
}

// exactMultiple gives each option to exactly its share of pool (those in
// must[option] first) and returns the choices per respondent (indexed
// 0..n-1), in the options' order. With atLeastOne, whoever was left without
// any choice takes one over from a respondent who has two or more, which
// keeps every option's count.
func exactMultiple(rng *rand.Rand, n int, pool []int, shares []share, must map[string][]int, atLeastOne bool) [][]string {
	has := make([][]bool, len(shares))
	for k, s := range shares {
		has[k] = make([]bool, n)
		for _, i := range pick(rng, pool, must[s.key], count(len(pool), s.pct)) {
			has[k][i] = true
		}
	}
	total := func(i int) int {
		c := 0
		for k := range shares {
			if has[k][i] {
				c++
			}
		}
		return c
	}
	if atLeastOne {
		for _, i := range pool {
			if total(i) > 0 {
				continue
			}
		options:
			for _, k := range rng.Perm(len(shares)) {
				donors := append([]int(nil), pool...)
				rng.Shuffle(len(donors), func(a, b int) { donors[a], donors[b] = donors[b], donors[a] })
				for _, d := range donors {
					if has[k][d] && total(d) > 1 && !contains(must[shares[k].key], d) {
						has[k][d], has[k][i] = false, true
						break options
					}
				}
			}
		}
	}
	out := make([][]string, n)
	for _, i := range pool {
		for k, s := range shares {
			if has[k][i] {
				out[i] = append(out[i], s.key)
			}
		}
	}
	return out
}

func contains(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}
