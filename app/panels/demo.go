package panels

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// DemoMembers is how many active members the demo panel has.
const DemoMembers = 2400

// DemoNameMarker ends the demo panel's name in every language; SeedDemo
// finds its panel again by it.
const DemoNameMarker = " (demo)"

// demoPanelSeed fixes the random source, so every demo database holds the
// same panel (only ids, addresses' order and dates differ).
var demoPanelSeed = [2]uint64{2400, 46}

// demoChoice is a profile choice of the demo panel: its labels, its target
// share (the population of a Danish municipality of some 300,000, after
// Danmarks Statistik's tables of adults by age and sex, rounded) and its
// share of the panel, which leans older and female, as volunteer panels do.
type demoChoice struct {
	key             string
	da, nl, en      string
	target, inPanel float64
}

type demoField struct {
	key        string
	da, nl, en string
	choices    []demoChoice
}

var demoFields = []demoField{
	{"age", "Alder", "Leeftijd", "Age", []demoChoice{
		{"18_29", "18-29 år", "18-29 jaar", "18-29 years", 21, 11},
		{"30_44", "30-44 år", "30-44 jaar", "30-44 years", 24, 21},
		{"45_64", "45-64 år", "45-64 jaar", "45-64 years", 31, 38},
		{"65_plus", "65 år og derover", "65 jaar en ouder", "65 and over", 24, 30},
	}},
	{"gender", "Køn", "Geslacht", "Gender", []demoChoice{
		{"woman", "Kvinde", "Vrouw", "Woman", 50.5, 55},
		{"man", "Mand", "Man", "Man", 49.5, 45},
	}},
	{"district", "Bydel", "Stadsdeel", "District", []demoChoice{
		{"centre", "Midtbyen", "Centrum", "City centre", 18, 25},
		{"north", "Nord", "Noord", "North", 22, 20},
		{"south", "Syd", "Zuid", "South", 21, 19},
		{"west", "Vest", "West", "West", 20, 19},
		{"east", "Øst", "Oost", "East", 19, 17},
	}},
}

// demoLanguages: most members read Danish; some chose English or Dutch.
var demoLanguages = []struct {
	lang  string
	share float64
}{{"da", 88}, {"en", 9}, {"nl", 3}}

// demoPropensity is how likely a member of an age band answers, relative
// to the others: the young answer least, as in every panel.
var demoPropensity = map[string]float64{"18_29": 0.55, "30_44": 0.8, "45_64": 1, "65_plus": 1.15}

// demoYouth scores the platforms a respondent uses by how young their
// users are, so that younger members get the responses of those who use
// TikTok and Instagram: the profile then tells something about the answers
// and weighting by age moves the figures, as it would in a real survey.
var demoYouth = map[string]float64{"tiktok": 3, "instagram": 2, "youtube": 1, "x": 0.5, "linkedin": 0.5, "facebook": -0.5, "none": -2}

// DemoPanelFields are the demo panel's profile fields.
func DemoPanelFields() []Field {
	out := make([]Field, len(demoFields))
	for i, f := range demoFields {
		out[i] = Field{Key: f.key, Label: models.Text{"da": f.da, "nl": f.nl, "en": f.en}}
		for _, c := range f.choices {
			t := c.target
			out[i].Choices = append(out[i].Choices, Choice{Key: c.key, Label: models.Text{"da": c.da, "nl": c.nl, "en": c.en}, Target: &t})
		}
	}
	return out
}

// DemoResult says what SeedDemo added.
type DemoResult struct {
	Panel     *models.Panel
	Members   int // members added (0 when the demo panel already existed)
	Responded int // invitations used: panel responses given a profile
}

// SeedDemo adds the demo panel: DemoMembers active members with made-up
// addresses on example.org and profiles by age, gender and district, all
// invited to the demo survey sv at the start of its fieldwork and, where
// they have not answered, reminded once two weeks later. The survey's
// responses that came through the panel channel (and carry no profile yet)
// get the profile of one invited member each, whose invitation is marked
// used (with that response's day when the survey is not anonymous); so the panel's response rates and the
// profiles on the responses agree. No mail is queued: every invitation and
// reminder counts as sent. The members' personal links do not work (their
// token hashes are random), as nobody holds those addresses. When the demo
// panel exists already, nothing changes.
func SeedDemo(ctx context.Context, gdb *gorm.DB, sv *models.Survey, createdBy *string, now time.Time) (*DemoResult, error) {
	now = now.UTC()
	res := &DemoResult{}
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ps []models.Panel
		if err := tx.Order("created_at").Find(&ps).Error; err != nil {
			return err
		}
		for i := range ps {
			if strings.HasSuffix(ps[i].Name.In("en"), DemoNameMarker) {
				res.Panel = &ps[i]
				return nil
			}
		}
		rng := mrand.New(mrand.NewPCG(demoPanelSeed[0], demoPanelSeed[1]))
		fs := DemoPanelFields()
		fj, err := fieldsJSON(fs)
		if err != nil {
			return err
		}
		p := &models.Panel{ID: models.NewID(), CreatedBy: createdBy,
			Name: models.Text{"da": "Borgerpanelet" + DemoNameMarker, "nl": "Burgerpanel" + DemoNameMarker, "en": "Citizen panel" + DemoNameMarker},
			Description: models.Text{
				"da": "Borgere, der har sagt ja til at få vores spørgeskemaer et par gange om året.",
				"nl": "Inwoners die hebben aangegeven een paar keer per jaar onze vragenlijsten te willen ontvangen.",
				"en": "Residents who agreed to receive our questionnaires a few times a year.",
			},
			Fields: fj, CreatedAt: now.AddDate(-2, 0, 0), UpdatedAt: now.AddDate(-2, 0, 0)}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		res.Panel = p

		// Members, with profiles drawn to the panel's make-up.
		members := make([]models.PanelMember, DemoMembers)
		profiles := make([]map[string]string, DemoMembers)
		var rows []models.PanelMemberProfile
		var keys []string
		var pcts []float64
		for _, l := range demoLanguages {
			keys, pcts = append(keys, l.lang), append(pcts, l.share)
		}
		langs := exactLabels(rng, DemoMembers, keys, pcts)
		byField := map[string][]string{}
		for _, f := range demoFields {
			keys, pcts = keys[:0], pcts[:0]
			for _, c := range f.choices {
				keys, pcts = append(keys, c.key), append(pcts, c.inPanel)
			}
			byField[f.key] = exactLabels(rng, DemoMembers, keys, pcts)
		}
		for i := range members {
			id := models.NewID()
			joined := now.AddDate(0, 0, -30-rng.IntN(700)).Truncate(time.Minute)
			confirmed := joined.Add(time.Duration(5+rng.IntN(2000)) * time.Minute)
			source := "signup"
			if i%5 == 0 {
				source = "import"
			}
			members[i] = models.PanelMember{ID: id, PanelID: p.ID, Email: fmt.Sprintf("borger%04d@example.org", i+1), Language: langs[i],
				Status: models.MemberActive, TokenHash: randomHash(), Source: source, ConfirmExpiresAt: joined.Add(ConfirmLife),
				ConfirmMails: 1, LastMailAt: &joined, CreatedAt: joined, ConfirmedAt: &confirmed}
			profiles[i] = map[string]string{}
			for _, f := range demoFields {
				v := byField[f.key][i]
				profiles[i][f.key] = v
				rows = append(rows, models.PanelMemberProfile{MemberID: id, PanelID: p.ID, Field: f.key, Value: v})
			}
		}

		// The panel responses, most "youthful" first.
		var resp []struct {
			ID          string
			SubmittedOn string
		}
		if err := tx.Raw(`SELECT r.id, r.submitted_on FROM responses r WHERE r.survey_id = ? AND r.channel = 'panel'
			AND NOT EXISTS (SELECT 1 FROM response_attributes a WHERE a.response_id = r.id) ORDER BY r.id`, sv.ID).Scan(&resp).Error; err != nil {
			return err
		}
		var uses []struct{ ResponseID, OptionKey string }
		if err := tx.Raw(`SELECT a.response_id, a.option_key FROM response_answers a JOIN responses r ON r.id = a.response_id
			WHERE a.survey_id = ? AND a.question_key = 'uses_platforms' AND r.channel = 'panel'`, sv.ID).Scan(&uses).Error; err != nil {
			return err
		}
		score := map[string]float64{}
		for _, u := range uses {
			score[u.ResponseID] += demoYouth[u.OptionKey]
		}
		noisy := make([]float64, len(resp))
		for i, r := range resp {
			noisy[i] = score[r.ID] + 1.5*rng.NormFloat64()
		}
		order := seqInts(len(resp))
		sort.SliceStable(order, func(a, b int) bool { return noisy[order[a]] > noisy[order[b]] })

		// Who answered: a weighted draw without replacement (Efraimidis and
		// Spirakis), the young least likely; youngest (give or take) first.
		k := min(len(resp), DemoMembers)
		draw := make([]float64, DemoMembers)
		for i := range draw {
			draw[i] = math.Pow(rng.Float64(), 1/demoPropensity[profiles[i]["age"]])
		}
		who := seqInts(DemoMembers)
		sort.SliceStable(who, func(a, b int) bool { return draw[who[a]] > draw[who[b]] })
		who = who[:k]
		ageRank := map[string]float64{}
		for j, c := range demoFields[0].choices {
			ageRank[c.key] = float64(j)
		}
		young := make(map[int]float64, k)
		for _, i := range who {
			young[i] = ageRank[profiles[i]["age"]] + 0.7*rng.NormFloat64()
		}
		sort.SliceStable(who, func(a, b int) bool { return young[who[a]] < young[who[b]] })

		// Everyone invited at the start of the fieldwork (four weeks ending
		// today, as the demo survey's), reminded after two weeks unless they
		// had answered by then.
		start := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, time.UTC).AddDate(0, 0, -27)
		reminded := start.AddDate(0, 0, 14)
		round := models.PanelInvitationRound{ID: models.NewID(), PanelID: p.ID, SurveyID: sv.ID, Sample: `{}`,
			RemindAfterDays: 14, MaxReminders: 1, CreatedBy: createdBy, CreatedAt: start}
		used := map[int]string{}
		var attrs []models.ResponseAttribute
		for j, i := range who {
			r := resp[order[j]]
			used[i] = r.SubmittedOn
			for _, f := range demoFields {
				attrs = append(attrs, models.ResponseAttribute{ResponseID: r.ID, Field: f.key, Value: profiles[i][f.key]})
			}
		}
		invs := make([]models.PanelInvitation, DemoMembers)
		for i := range members {
			inv := models.PanelInvitation{ID: models.NewID(), RoundID: round.ID, PanelID: p.ID, SurveyID: sv.ID, MemberID: &members[i].ID,
				TokenHash: randomHash(), MailedAt: &start, LastMailedAt: &start, CreatedAt: start}
			if day, ok := used[i]; ok {
				inv.Used = true
				if !sv.Anonymous {
					inv.UsedOn = &day // an anonymous survey's invitations keep no date
				}
				if day >= reminded.Format("2006-01-02") {
					inv.Reminders, inv.LastMailedAt = 1, &reminded
				}
			} else {
				inv.Reminders, inv.LastMailedAt = 1, &reminded
			}
			invs[i] = inv
		}
		if err := tx.CreateInBatches(members, 500).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(rows, 1000).Error; err != nil {
			return err
		}
		if err := tx.Create(&round).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(invs, 500).Error; err != nil {
			return err
		}
		if len(attrs) > 0 {
			if err := tx.CreateInBatches(attrs, 1000).Error; err != nil {
				return err
			}
		}
		res.Members, res.Responded = len(members), len(who)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo panel: %w", err)
	}
	return res, nil
}

// exactLabels gives n people one label each, each label to exactly its
// share (the last takes what rounding leaves), in random order.
func exactLabels(rng *mrand.Rand, n int, keys []string, pcts []float64) []string {
	out := make([]string, 0, n)
	for j, k := range keys {
		c := int(math.Round(float64(n) * pcts[j] / 100))
		if j == len(keys)-1 {
			c = n - len(out)
		}
		for range min(c, n-len(out)) {
			out = append(out, k)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func seqInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// randomHash stands in for a token hash no token leads to.
func randomHash() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
