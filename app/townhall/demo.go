package townhall

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// Demo town hall ids (fixed, so loading the demo twice changes nothing).
const (
	DemoArchiveID = "demoroskildespoergtm"
	DemoLiveID    = "demolivetownhallnow1"
)

var demoTopics = []string{
	"Hvornår bliver cykelstien langs Køgevej færdig?",
	"Hvad gør kommunen ved ventelisterne til vuggestuer?",
	"Kan der komme flere busser til Jyllinge om aftenen?",
	"Hvorfor lukker svømmehallen i sommerferien?",
	"Hvordan sikrer I, at de ældre på plejehjemmene får frisk mad?",
	"Hvornår bliver hullerne på Ringstedvej lappet?",
	"Hvad sker der med den gamle kaserne?",
	"Kan kommunen gøre mere for at holde på de unge efter gymnasiet?",
	"Hvorfor tager det så lang tid at få svar på en byggetilladelse?",
	"Hvad er planen for flere almene boliger?",
}

// SeedDemo adds a finished town hall like Roskilde's digital question hour
// (about 70 questions answered by the mayor in one hour) and one that is
// live now, unless they exist. mayorID is the politician answering.
func SeedDemo(ctx context.Context, gdb *gorm.DB, mayorID, mayorName string, now time.Time) error {
	var n int64
	if err := gdb.WithContext(ctx).Model(&models.TownHall{}).Where("id IN ?", []string{DemoArchiveID, DemoLiveID}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	now = now.UTC().Truncate(time.Second)
	rng := mrand.New(mrand.NewPCG(6, 2014))
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		mk := func(id string, title, desc models.Text, start, end time.Time, moderation, announced string) error {
			th := models.TownHall{ID: id, Title: title, Description: desc, StartsAt: start, EndsAt: end, Moderation: moderation,
				Participation: models.ParticipationAnyone, Names: models.NamesOptional, Announced: announced, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&th).Error; err != nil {
				return err
			}
			return tx.Create(&models.TownHallPolitician{TownHallID: id, AccountID: mayorID, Title: "Borgmester"}).Error
		}
		start := now.Add(-7 * 24 * time.Hour).Truncate(time.Hour).Add(19 * time.Hour)
		if err := mk(DemoArchiveID,
			models.Text{"da": "Digital spørgetime med borgmesteren", "nl": "Digitaal vragenuur met de burgemeester", "en": "Digital question hour with the mayor"},
			models.Text{"da": "Borgmesteren svarede i en time på borgernes spørgsmål, som i Roskilde, hvor borgmesteren besvarede omkring 70 spørgsmål på en time.",
				"nl": "De burgemeester beantwoordde een uur lang vragen van inwoners, zoals in Roskilde, waar de burgemeester in één uur zo'n 70 vragen beantwoordde.",
				"en": "The mayor answered citizens' questions for an hour, as in Roskilde, where the mayor answered about 70 questions in one hour."},
			start, start.Add(time.Hour), models.ModerationPre, models.TownHallEnded); err != nil {
			return err
		}
		var qs []models.TownHallQuestion
		var votes []models.TownHallVote
		var answers []models.TownHallAnswer
		name := mayorName
		for i := range 72 {
			at := start.Add(time.Duration(i*50) * time.Second)
			approved := at.Add(time.Duration(30+rng.IntN(90)) * time.Second)
			answered := approved.Add(time.Duration(60+rng.IntN(400)) * time.Second)
			q := models.TownHallQuestion{ID: fmt.Sprintf("demoq%015d", i), TownHallID: DemoArchiveID, Participant: fmt.Sprintf("p:demo-%d", i%55),
				Text: fmt.Sprintf("%s (%d)", demoTopics[i%len(demoTopics)], i/len(demoTopics)+1), Status: models.QuestionApproved,
				CreatedAt: at, ApprovedAt: &approved, UpdatedAt: answered}
			if i%4 == 0 {
				q.DisplayName = []string{"Karen", "Mads", "Birgitte", "Ole", "Sofie"}[i%5]
			}
			nv := rng.IntN(40)
			for v := range nv {
				votes = append(votes, models.TownHallVote{QuestionID: q.ID, Participant: fmt.Sprintf("p:demo-voter-%d", v), TownHallID: DemoArchiveID})
			}
			q.Votes = nv
			if i < 70 {
				answers = append(answers, models.TownHallAnswer{ID: fmt.Sprintf("demoa%015d", i), QuestionID: q.ID, TownHallID: DemoArchiveID, AccountID: &mayorID,
					Name: name, Title: "Borgmester", Text: "Tak for spørgsmålet. Det er noget, byrådet arbejder på; jeg vender tilbage med en tidsplan på næste byrådsmøde.", CreatedAt: answered})
			}
			qs = append(qs, q)
		}
		for _, batch := range []any{&qs, &votes, &answers} {
			if err := tx.CreateInBatches(batch, 200).Error; err != nil {
				return err
			}
		}
		if err := mk(DemoLiveID,
			models.Text{"da": "Borgermøde: byens nye bycykler", "nl": "Vragenuur: de nieuwe deelfietsen", "en": "Town hall: the city's new bikes"},
			models.Text{"da": "Stil dine spørgsmål om de nye bycykler; borgmesteren svarer live.", "nl": "Stel je vragen over de nieuwe deelfietsen; de burgemeester antwoordt live.", "en": "Ask about the new city bikes; the mayor answers live."},
			now.Add(-15*time.Minute), now.Add(45*time.Minute), models.ModerationPre, models.TownHallLive); err != nil {
			return err
		}
		for i, text := range []string{"Hvor mange cykler kommer der?", "Kan man låne en ladcykel?", "Hvad koster det for pensionister?"} {
			ap := now.Add(-time.Duration(10-i) * time.Minute)
			q := models.TownHallQuestion{ID: fmt.Sprintf("demolq%014d", i), TownHallID: DemoLiveID, Participant: fmt.Sprintf("p:demo-live-%d", i), Text: text,
				Status: models.QuestionApproved, Votes: 0, CreatedAt: ap, ApprovedAt: &ap, UpdatedAt: ap}
			if err := tx.Create(&q).Error; err != nil {
				return err
			}
		}
		pending := models.TownHallQuestion{ID: "demolqpending0000001", TownHallID: DemoLiveID, Participant: "p:demo-live-9", Text: "Kommer der cykler i Viby?",
			Status: models.QuestionPending, CreatedAt: now, UpdatedAt: now}
		return tx.Create(&pending).Error
	})
}
