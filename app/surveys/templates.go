package surveys

import "github.com/inspraak/inspraak/models"

// Template is a built-in questionnaire that staff can start a survey from.
type Template struct {
	Key        string
	Meta       Meta
	Definition Definition
}

// SocialMediaTemplate is the key of the questionnaire on what residents
// expect from the municipality on social media.
const SocialMediaTemplate = "social-media-expectations"

// Templates lists the built-in questionnaires. Each call builds fresh
// values, so a caller may change what it gets.
func Templates() []Template {
	return []Template{socialMediaExpectations()}
}

// TemplateByKey finds a built-in questionnaire.
func TemplateByKey(key string) (Template, bool) {
	for _, t := range Templates() {
		if t.Key == key {
			return t, true
		}
	}
	return Template{}, false
}

// text3 is a text in Danish, Dutch and English.
func text3(da, nl, en string) models.Text {
	return models.Text{"da": da, "nl": nl, "en": en}
}

// option3 is an option with a text per language.
func option3(key, da, nl, en string) Option {
	return Option{Key: key, Text: text3(da, nl, en)}
}

// brandOption is an option whose name is the same in every language.
func brandOption(key, name string) Option {
	return option3(key, name, name, name)
}

// socialMediaPlatforms are the platforms asked about, in the order asked.
func socialMediaPlatforms() []Option {
	return []Option{
		brandOption("facebook", "Facebook"),
		brandOption("x", "X (Twitter)"),
		brandOption("instagram", "Instagram"),
		brandOption("linkedin", "LinkedIn"),
		brandOption("youtube", "YouTube"),
		brandOption("tiktok", "TikTok"),
	}
}

// socialMediaExpectations follows the survey Amsterdam ran with Innovalor
// among residents, entrepreneurs, visitors and people working in the city:
// what they use, what they want to do with the municipality on social
// media, where and about what it should post, and how fast and by whom
// they expect to be answered (the service code).
func socialMediaExpectations() Template {
	yes := &Condition{Question: "should_be_active", AnyOf: []string{"yes"}}
	chooseAll := text3("Vælg alle, der passer.", "Kies alles wat van toepassing is.", "Choose all that apply.")
	return Template{
		Key: SocialMediaTemplate,
		Meta: Meta{
			Title: text3(
				"Hvad forventer du af kommunen på sociale medier?",
				"Wat verwacht u van de gemeente op social media?",
				"What do you expect from the municipality on social media?",
			),
			Description: text3(
				"Kommunen vil gerne vide, hvordan du bruger sociale medier, og hvad du forventer af os dér: hvad du gerne vil kunne, "+
					"hvilke kanaler og emner der betyder noget for dig, og hvor hurtigt du forventer svar. Dine svar indgår i vores "+
					"strategi for sociale medier. Det tager cirka fem minutter, og du er anonym.",
				"De gemeente wil graag weten hoe u social media gebruikt en wat u daar van ons verwacht: wat u via social media wilt "+
					"kunnen doen, welke kanalen en onderwerpen u belangrijk vindt en hoe snel u een reactie verwacht. Uw antwoorden "+
					"gebruiken we voor ons social-mediabeleid. Invullen duurt ongeveer vijf minuten en is anoniem.",
				"The municipality would like to know how you use social media and what you expect from us there: what you want to "+
					"be able to do, which channels and topics matter to you and how quickly you expect an answer. Your answers feed "+
					"into our social media policy. It takes about five minutes and you stay anonymous.",
			),
			Thanks: text3(
				"Tak for din deltagelse! Vi bruger svarene til at beslutte, hvilke kanaler vi bruger, til hvad, og hvor hurtigt vi "+
					"svarer – og vi fortæller, hvad vi har gjort med dem.",
				"Hartelijk dank voor uw deelname! We gebruiken de antwoorden om te bepalen welke kanalen we inzetten, waarvoor en "+
					"hoe snel we reageren – en we laten weten wat we ermee hebben gedaan.",
				"Thank you for taking part! We will use the answers to decide which channels we use, for what and how quickly we "+
					"answer – and we will tell you what we did with them.",
			),
			Languages: []string{"da", "nl", "en"},
			Anonymous: true,
		},
		Definition: Definition{Sections: []Section{
			{
				Key:   "about_you",
				Title: text3("Om dig", "Over u", "About you"),
				Questions: []Question{
					{
						Key:      "respondent_type",
						Type:     Single,
						Required: true,
						Text:     text3("Hvad beskriver dig bedst?", "Wat past het best bij u?", "Which of these describes you best?"),
						Help: text3(
							"Hvis flere passer, så vælg det, der betyder mest for dig i denne sammenhæng.",
							"Is er meer van toepassing, kies dan wat in dit verband het belangrijkst voor u is.",
							"If more than one applies, choose the one that matters most to you here.",
						),
						Options: []Option{
							option3("resident", "Jeg bor i kommunen", "Ik woon in de gemeente", "I live in the municipality"),
							option3("entrepreneur", "Jeg driver virksomhed i kommunen", "Ik ben ondernemer in de gemeente", "I run a business in the municipality"),
							option3("visitor", "Jeg besøger byen", "Ik bezoek de stad", "I visit the city"),
							option3("works_in_city", "Jeg arbejder i byen", "Ik werk in de stad", "I work in the city"),
						},
					},
					{
						Key:      "uses_platforms",
						Type:     Multiple,
						Required: true,
						Text:     text3("Hvilke sociale medier bruger du?", "Welke social media gebruikt u?", "Which social media do you use?"),
						Help:     chooseAll,
						Options: append(socialMediaPlatforms(),
							option3("none", "Ingen af dem", "Geen van deze", "None of these")),
					},
				},
			},
			{
				Key:   "contact",
				Title: text3("Kontakt med kommunen", "Contact met de gemeente", "Contact with the municipality"),
				Questions: []Question{
					{
						Key:  "wants_to",
						Type: Multiple,
						Text: text3(
							"Hvad vil du gerne kunne gøre i kontakten med kommunen på sociale medier?",
							"Wat zou u via social media met de gemeente willen kunnen doen?",
							"What would you like to be able to do with the municipality on social media?",
						),
						Help: text3(
							"Vælg alle, der passer. Lad spørgsmålet stå tomt, hvis du ikke ønsker nogen af delene.",
							"Kies alles wat van toepassing is. Laat de vraag leeg als u geen van deze dingen wilt.",
							"Choose all that apply. Leave it empty if you want none of these.",
						),
						Options: []Option{
							option3("find_information",
								"Finde information om kommunens tilbud og ydelser",
								"Informatie vinden over de diensten van de gemeente",
								"Find information about the municipality's services"),
							option3("ask_question", "Stille et spørgsmål", "Een vraag stellen", "Ask a question"),
							option3("leave_remark",
								"Give en positiv eller negativ kommentar",
								"Een positieve of negatieve opmerking achterlaten",
								"Leave a positive or negative remark"),
							option3("report_problem",
								"Melde et problem i det offentlige rum, fx et hul i vejen eller en løs flise",
								"Een probleem in de openbare ruimte melden, zoals een gat in de weg of een losse stoeptegel",
								"Report a problem in public space, such as a pothole or a loose paving stone"),
							option3("transactions",
								"Klare ærinder, fx søge om parkeringstilladelse eller forny kørekort",
								"Zaken regelen, zoals een parkeervergunning of rijbewijs aanvragen",
								"Arrange things, such as applying for a parking permit or a driving licence"),
						},
					},
				},
			},
			{
				Key:   "presence",
				Title: text3("Kommunen på sociale medier", "De gemeente op social media", "The municipality on social media"),
				Questions: []Question{
					{
						Key:      "should_be_active",
						Type:     Single,
						Required: true,
						Text: text3(
							"Bør kommunen være aktiv på sociale medier?",
							"Moet de gemeente actief zijn op social media?",
							"Should the municipality be active on social media?",
						),
						Options: []Option{
							option3("yes", "Ja", "Ja", "Yes"),
							option3("no", "Nej", "Nee", "No"),
							option3("no_opinion", "Ved ikke", "Geen mening", "No opinion"),
						},
					},
				},
			},
			{
				// A page of its own, so the page flow skips it unless the
				// answer above is yes; the questions carry the condition too.
				Key:    "where_and_what",
				Title:  text3("Hvor og om hvad", "Waar en waarover", "Where and about what"),
				ShowIf: yes,
				Questions: []Question{
					{
						Key:     "platforms",
						Type:    Multiple,
						ShowIf:  yes,
						Text:    text3("På hvilke sociale medier bør kommunen være aktiv?", "Op welke social media moet de gemeente actief zijn?", "On which social media should the municipality be active?"),
						Help:    chooseAll,
						Options: socialMediaPlatforms(),
					},
					{
						Key:    "topics",
						Type:   Multiple,
						ShowIf: yes,
						Text: text3(
							"Hvilke emner bør kommunen informere om på sociale medier?",
							"Over welke onderwerpen moet de gemeente via social media informeren?",
							"Which topics should the municipality inform about on social media?",
						),
						Help: chooseAll,
						Options: []Option{
							option3("crises", "Kriser og nødsituationer", "Crisissituaties en calamiteiten", "Crises and emergencies"),
							option3("road_works", "Vejarbejde og andre anlægsarbejder", "Wegwerkzaamheden en andere werkzaamheden", "Road works and other works"),
							option3("events", "Arrangementer", "Evenementen", "Events"),
							option3("public_space_reports",
								"Fejl og mangler i det offentlige rum, fx affald eller defekte gadelygter",
								"Meldingen openbare ruimte, zoals zwerfafval of kapotte straatverlichting",
								"Reports about public space, such as litter or broken street lights"),
							option3("news", "Nyheder fra kommunen", "Nieuws van de gemeente", "News from the municipality"),
							option3("consultations",
								"Høringer og muligheder for at blive hørt",
								"Inspraak en raadplegingen",
								"Consultations and chances to have your say"),
						},
					},
				},
			},
			{
				Key:   "service",
				Title: text3("Svar og service", "Reacties en service", "Answers and service"),
				Questions: []Question{
					{
						Key:      "answer_time",
						Type:     Single,
						Required: true,
						Text: text3(
							"Hvis du skriver til kommunen på sociale medier, hvor hurtigt forventer du så svar?",
							"Als u de gemeente via social media een bericht stuurt, hoe snel verwacht u dan een reactie?",
							"If you write to the municipality on social media, how quickly do you expect an answer?",
						),
						Options: []Option{
							option3("within_hour", "Inden for en time", "Binnen een uur", "Within an hour"),
							option3("same_day", "Samme dag", "Dezelfde dag", "The same day"),
							option3("one_two_working_days", "Inden for 1-2 arbejdsdage", "Binnen 1 à 2 werkdagen", "Within 1-2 working days"),
							option3("within_week", "Inden for en uge", "Binnen een week", "Within a week"),
						},
					},
					{
						Key:  "know_who_answers",
						Type: Scale,
						Text: text3(
							"Hvor vigtigt er det for dig at vide, hvem i kommunen der svarer dig?",
							"Hoe belangrijk vindt u het om te weten wie er namens de gemeente antwoordt?",
							"How important is it to you to know who at the municipality is answering you?",
						),
						Help: text3(
							"Fx et fornavn eller initialer under svaret.",
							"Bijvoorbeeld een voornaam of initialen onder het antwoord.",
							"For example a first name or initials under the answer.",
						),
						Scale: &ScaleSpec{
							Min: 1, Max: 5,
							MinLabel: text3("Slet ikke vigtigt", "Helemaal niet belangrijk", "Not important at all"),
							MaxLabel: text3("Meget vigtigt", "Heel belangrijk", "Very important"),
						},
					},
				},
			},
			{
				Key:   "finally",
				Title: text3("Til sidst", "Tot slot", "Finally"),
				Questions: []Question{
					{
						Key:  "remarks",
						Type: LongText,
						Text: text3(
							"Er der andet, du gerne vil sige til kommunen om sociale medier?",
							"Wilt u de gemeente verder nog iets meegeven over social media?",
							"Is there anything else you would like to tell the municipality about social media?",
						),
						Help: text3(
							"Skriv venligst ikke personlige oplysninger som navn, adresse eller telefonnummer.",
							"Vermeld alstublieft geen persoonsgegevens zoals uw naam, adres of telefoonnummer.",
							"Please do not include personal details such as your name, address or phone number.",
						),
					},
				},
			},
		}},
	}
}
