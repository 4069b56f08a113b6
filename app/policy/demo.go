package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/inspraak/inspraak/models"
)

// DemoPolicyID is the demo channel policy's id (fixed, so loading the demo
// twice changes nothing).
const DemoPolicyID = "demokanalstrategi001"

// DemoRefs are the demo content the demo policy cites. An empty id leaves
// its citations out (the decision stays).
type DemoRefs struct {
	// SurveyID is the demo survey, made from the social-media expectations
	// questionnaire (template "social-media-expectations").
	SurveyID       string
	TownHallID     string
	ConsultationID string
}

// The questions of the social-media expectations questionnaire the demo
// policy cites, and the options it cites of them.
const (
	demoQPlatforms  = "platforms"   // On which social media should the municipality be active?
	demoQAnswerTime = "answer_time" // How quickly do you expect an answer?
)

// demoFacebookMonths are the figures recorded for Facebook in the six
// months before the current one, the oldest first: the promise of 2
// working days (16 working hours) is kept in all but the third.
var demoFacebookMonths = []struct {
	median, within float64
	cases          int
	note           string
}{
	{6.5, 92, 284, ""},
	{7, 90, 301, ""},
	{21.5, 64, 397, "Ferieperiode med færre på vagt og mange henvendelser om vejarbejdet på Ringvejen."},
	{8, 89, 326, ""},
	{6, 93, 312, ""},
	{5.5, 95, 298, ""},
}

// SeedDemo adds the demo channel policy, built on the demo survey's
// results, the demo town hall and the demo consultation, unless it is
// published already: a policy for the current year with a decision per
// channel (Facebook, Instagram, email, phone, digital town halls and idea
// collection), Facebook's recorded answer times for the last six months
// (months that have figures keep them), and version 1 published through
// Publish, so that the cited figures are recorded as baselines. It tells
// whether it added the policy. s must resolve evidence (WithEvidence).
func SeedDemo(ctx context.Context, s *Store, refs DemoRefs, createdBy *string) (*models.Policy, bool, error) {
	var existing models.Policy
	if err := s.db.WithContext(ctx).Where("id = ?", DemoPolicyID).Limit(1).Find(&existing).Error; err != nil {
		return nil, false, err
	}
	if existing.ID != "" && existing.Version > 0 {
		return &existing, false, nil
	}
	// Saving a decision checks its evidence and publishing reads it again,
	// in every language: the figures do not change in between, so each is
	// resolved (and the survey computed) once.
	ctx = WithMemo(ctx)
	now := s.now()
	year := now.In(s.zone).Year()
	if existing.ID == "" {
		in := PolicyInput{
			Title: models.Text{"da": fmt.Sprintf("Kanalstrategi %d", year), "nl": fmt.Sprintf("Kanaalbeleid %d", year), "en": fmt.Sprintf("Channel policy %d", year)},
			Intro: models.Text{
				"da": "Sådan bruger kommunen sine kanaler: hvad du kan bruge hver kanal til, hvor hurtigt du får svar, og hvem der svarer. Strategien bygger på borgernes svar i undersøgelsen om forventninger til kommunen på sociale medier, på den digitale spørgetime med borgmesteren og på idéindsamlingen til cykelstrategien.\n\nVi måler, om vi holder vores svartider, og viser resultatet ved hver kanal.",
				"nl": "Zo gebruikt de gemeente haar kanalen: waarvoor u elk kanaal kunt gebruiken, hoe snel u antwoord krijgt en wie er antwoordt. Het beleid bouwt op de antwoorden van inwoners in de peiling over wat zij van de gemeente op social media verwachten, op het digitale vragenuur met de burgemeester en op de ideeënronde voor de fietsstrategie.\n\nWe meten of we onze reactietermijnen halen en tonen het resultaat bij elk kanaal.",
				"en": "How the municipality uses its channels: what you can use each channel for, how quickly you get an answer and who answers. The policy builds on residents' answers in the survey on what they expect from the municipality on social media, on the digital question hour with the mayor and on the call for ideas for the cycling strategy.\n\nWe measure whether we keep our answer times and show the result with each channel.",
			},
			Period: fmt.Sprintf("%d-01-01/%d-12-31", year, year),
		}
		from, to, err := in.validate()
		if err != nil {
			return nil, false, fmt.Errorf("demo policy: %w", err)
		}
		existing = models.Policy{ID: DemoPolicyID, Title: in.Title, Intro: in.Intro, PeriodFrom: from, PeriodTo: to, Threshold: 5,
			CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
		if err := s.db.WithContext(ctx).Create(&existing).Error; err != nil {
			return nil, false, err
		}
	}
	for _, in := range demoDecisions(refs) {
		if _, err := s.SaveDecision(ctx, DemoPolicyID, in); err != nil {
			return nil, false, fmt.Errorf("demo policy, %s: %w", in.Channel, err)
		}
	}
	if err := seedDemoMeasurements(ctx, s, createdBy); err != nil {
		return nil, false, err
	}
	if _, err := s.Publish(ctx, DemoPolicyID, createdBy); err != nil {
		return nil, false, fmt.Errorf("demo policy: %w", err)
	}
	p, err := s.Policy(ctx, DemoPolicyID)
	return p, err == nil, err
}

// seedDemoMeasurements records Facebook's answer times for the six months
// before the current one, leaving alone months that have a figure.
func seedDemoMeasurements(ctx context.Context, s *Store, by *string) error {
	have, err := s.Measurements(ctx, "facebook")
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, m := range have {
		known[m.PeriodFrom+"/"+m.PeriodTo] = true
	}
	y, mo, _ := s.now().In(s.zone).Date()
	n := len(demoFacebookMonths)
	for i, f := range demoFacebookMonths {
		start := time.Date(y, mo-time.Month(n-i), 1, 0, 0, 0, 0, s.zone)
		in := MeasurementInput{Channel: "facebook", PeriodFrom: start.Format(time.DateOnly), PeriodTo: start.AddDate(0, 1, -1).Format(time.DateOnly),
			MedianHours: f.median, WithinTargetPct: &f.within, Cases: f.cases, Note: f.note}
		if known[in.PeriodFrom+"/"+in.PeriodTo] {
			continue
		}
		if _, err := s.Record(ctx, in, RecordedByCSV, by); err != nil {
			return fmt.Errorf("demo policy, figures: %w", err)
		}
	}
	return nil
}

func daysPtr(d float64) *float64 { return &d }

// officeHours are the staffed hours of the channels answered in office
// hours.
var officeHours = models.Text{"da": "Mandag–fredag 8–16", "nl": "Maandag t/m vrijdag 8.00–16.00 uur", "en": "Monday to Friday 8:00–16:00"}

// demoDecisions are the demo policy's decisions, citing refs.
func demoDecisions(refs DemoRefs) []DecisionInput {
	survey := func(kind, question string, option ...string) []EvidenceInput {
		if refs.SurveyID == "" {
			return nil
		}
		ref := refs.SurveyID + ":" + question
		for _, o := range option {
			ref += ":" + o
		}
		return []EvidenceInput{{Kind: kind, Ref: ref}}
	}
	cite := func(kind, id string) []EvidenceInput {
		if id == "" {
			return nil
		}
		return []EvidenceInput{{Kind: kind, Ref: id}}
	}
	join := func(lists ...[]EvidenceInput) []EvidenceInput {
		out := []EvidenceInput{}
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	return []DecisionInput{
		{
			Channel:  "facebook",
			Purposes: []string{"information", "questions"}, Handling: models.HandlingHandled, ResponseTargetDays: daysPtr(2),
			RoutedTo: models.Text{"da": "Kontaktcentret", "nl": "het Klantcontactcentrum", "en": "the contact centre"},
			Hours:    officeHours, Owner: "Kommunikation",
			Tone: models.Text{"da": "Venlig og personlig, underskrevet med fornavn", "nl": "Vriendelijk en persoonlijk, ondertekend met een voornaam",
				"en": "Friendly and personal, signed with a first name"},
			Text: models.Text{
				"da": "Vores Facebook-side er kommunens vigtigste sociale medie: tre ud af fire, der vil have kommunen på sociale medier, peger på Facebook. Her informerer vi om kommunens tilbud, vejarbejde, arrangementer og kriser, og vi svarer på ukomplicerede spørgsmål inden for 2 arbejdsdage, som de fleste i undersøgelsen forventer. Komplekse sager og spørgsmål med personlige oplysninger sender vi videre til Kontaktcentret.",
				"nl": "Onze Facebookpagina is het belangrijkste sociale medium van de gemeente: drie op de vier inwoners die de gemeente op social media willen zien, noemen Facebook. Hier informeren we over de diensten van de gemeente, wegwerkzaamheden, evenementen en crises, en we beantwoorden eenvoudige vragen binnen 2 werkdagen, zoals de meeste deelnemers aan de peiling verwachten. Ingewikkelde zaken en vragen met persoonsgegevens sturen we door naar het Klantcontactcentrum.",
				"en": "Our Facebook page is the municipality's main social medium: three in four of those who want the municipality on social media name Facebook. Here we inform about the municipality's services, road works, events and crises, and we answer uncomplicated questions within 2 working days, as most people in the survey expect. Complex cases and questions involving personal details we route to the contact centre.",
			},
			Evidence: join(survey(KindSurveyOption, demoQPlatforms, "facebook"), survey(KindSurveyQuestion, demoQAnswerTime)),
		},
		{
			Channel:  "instagram",
			Purposes: []string{"information", "events"}, Handling: models.HandlingRouted,
			RoutedTo: models.Text{"da": "vores Facebook-side eller Kontaktcentret", "nl": "onze Facebookpagina of het Klantcontactcentrum",
				"en": "our Facebook page or the contact centre"},
			Owner: "Kommunikation",
			Text: models.Text{
				"da": "På Instagram viser vi billeder og korte nyheder fra byen og dens arrangementer. Vi besvarer ikke spørgsmål her, men henviser til vores Facebook-side eller Kontaktcentret.",
				"nl": "Op Instagram laten we foto's en korte berichten zien over de stad en haar evenementen. Vragen beantwoorden we hier niet; we verwijzen naar onze Facebookpagina of het Klantcontactcentrum.",
				"en": "On Instagram we show pictures and short news about the city and its events. We do not answer questions there but refer you to our Facebook page or the contact centre.",
			},
			Evidence: survey(KindSurveyOption, demoQPlatforms, "instagram"),
		},
		{
			Channel:  "email",
			Purposes: []string{"questions", "complaints"}, Handling: models.HandlingHandled, ResponseTargetDays: daysPtr(3),
			Hours: officeHours, Owner: "Kontaktcentret",
			Tone: models.Text{"da": "Formel, men i et klart sprog", "nl": "Formeel, maar in begrijpelijke taal", "en": "Formal, in plain language"},
			Text: models.Text{
				"da": "Spørgsmål og klager pr. e-mail besvarer vi inden for 3 arbejdsdage. Tager sagen længere tid, fortæller vi dig inden da, hvornår du kan forvente svar.",
				"nl": "Vragen en klachten per e-mail beantwoorden we binnen 3 werkdagen. Duurt het langer, dan laten we u binnen die tijd weten wanneer u een antwoord kunt verwachten.",
				"en": "Questions and complaints by email get an answer within 3 working days. If a case takes longer, we tell you within that time when to expect an answer.",
			},
		},
		{
			Channel:  "phone",
			Purposes: []string{"questions", "complaints", "public_space"}, Handling: models.HandlingHandled, ResponseTargetDays: daysPtr(1),
			Hours: officeHours, Owner: "Kontaktcentret",
			Text: models.Text{
				"da": "Kontaktcentret tager telefonen i åbningstiden og klarer de fleste spørgsmål straks. Kan vi ikke svare med det samme, ringer vi dig op inden for 1 arbejdsdag.",
				"nl": "Het Klantcontactcentrum neemt tijdens kantooruren de telefoon op en handelt de meeste vragen direct af. Kunnen we niet meteen antwoorden, dan bellen we u binnen 1 werkdag terug.",
				"en": "The contact centre answers the phone in office hours and settles most questions at once. When we cannot answer at once, we call you back within 1 working day.",
			},
		},
		{
			Channel:  ChannelTownHall,
			Purposes: []string{"consultation", "questions"}, Handling: models.HandlingHandled, ResponseTargetDays: daysPtr(2),
			Owner: "Byrådssekretariatet",
			Text: models.Text{
				"da": "Ved digitale borgermøder og spørgetimer svarer politikerne direkte. Spørgsmål, der er offentliggjort, men ikke når at blive besvaret under mødet, besvarer vi skriftligt inden for 2 arbejdsdage.",
				"nl": "Bij digitale vragenuren beantwoorden de politici vragen live. Gepubliceerde vragen die tijdens het vragenuur niet aan bod komen, beantwoorden we binnen 2 werkdagen schriftelijk.",
				"en": "At digital town halls and question hours the politicians answer live. Published questions that are not answered during the session get a written answer within 2 working days.",
			},
			Evidence: join(cite(KindTownHall, refs.TownHallID)),
		},
		{
			Channel:  ChannelIdeas,
			Purposes: []string{"consultation", "public_space"}, Handling: models.HandlingHandled, ResponseTargetDays: daysPtr(10),
			Owner: "Teknik- og Miljøforvaltningen",
			Text: models.Text{
				"da": "Når vi samler idéer ind, giver vi hver idé en første status inden for 10 arbejdsdage, og vi forklarer, hvad der sker med den, så du kan se, at dit input er blevet hørt.",
				"nl": "Als we ideeën verzamelen, geven we elk idee binnen 10 werkdagen een eerste status, en we leggen uit wat ermee gebeurt, zodat u ziet dat er naar uw inbreng is geluisterd.",
				"en": "When we collect ideas, each idea gets a first status within 10 working days, and we explain what happens to it, so that you can see your input was heard.",
			},
			Evidence: join(cite(KindConsultation, refs.ConsultationID)),
		},
	}
}
