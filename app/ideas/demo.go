package ideas

import (
	"context"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/models"
)

// DemoConsultationID is the demo consultation's id (fixed, so loading the
// demo twice changes nothing).
const DemoConsultationID = "democykelstrategi2030"

// The demo's figures, after Copenhagen's call for input to its cycling
// strategy on Facebook: over 200 comments, 120 shares and 1,700 likes.
const (
	DemoSupports    = 1700
	DemoComments    = 212
	DemoShareClicks = 120
)

// demoKey signs the demo participants' keys. Their ids are synthetic
// ("demo-author-3", "demo-supporter-17"), so they can never be a real
// visitor's, whatever the key.
var demoKey = []byte("inspraak demo participants")

// demoIdea is one idea of the demo; the list is in order of popularity.
type demoIdea struct {
	Cat, Title, Body, Place string
	Lat, Lng                float64 // 0: no coordinates
	Name                    string  // "" posts without a name
}

var demoCategories = models.Categories{
	{Key: "sikre-ruter", Label: models.Text{"da": "Sikre ruter", "nl": "Veilige routes", "en": "Safe routes"}},
	{Key: "cykelparkering", Label: models.Text{"da": "Cykelparkering", "nl": "Fietsparkeren", "en": "Bike parking"}},
	{Key: "supercykelstier", Label: models.Text{"da": "Supercykelstier", "nl": "Snelfietsroutes", "en": "Cycle superhighways"}},
	{Key: "vintervedligeholdelse", Label: models.Text{"da": "Vintervedligeholdelse", "nl": "Winteronderhoud", "en": "Winter maintenance"}},
	{Key: "boern-og-skoleveje", Label: models.Text{"da": "Børn og skoleveje", "nl": "Kinderen en schoolroutes", "en": "Children and school routes"}},
	{Key: "kryds-og-signaler", Label: models.Text{"da": "Kryds og signaler", "nl": "Kruispunten en verkeerslichten", "en": "Junctions and signals"}},
}

var demoIdeas = []demoIdea{
	{"kryds-og-signaler", "Grøn bølge på Nørrebrogade hele dagen – ikke kun i myldretiden",
		"Den grønne bølge om morgenen virker fint, men resten af dagen holder man for rødt ved næsten hvert eneste kryds fra Dronning Louises Bro til Nørrebro Station. Indfør grøn bølge i 20 km/t hele dagen og i begge retninger, også i weekenden, hvor der er mange børnefamilier på cykel.",
		"Nørrebrogade", 55.6920, 12.5530, "Mette K."},
	{"vintervedligeholdelse", "Ryd cykelstierne for sne før vejene",
		"Når det har sneet, er kørebanen ryddet kl. 6, mens cykelstien på Amagerbrogade ligger med slush til langt ud på formiddagen. Der er flere cyklister end bilister på mange strækninger, så lad cykelstierne komme først i rydningsplanen.\n\nOg stop venligst med at skubbe sneen fra kørebanen ind på cykelstien.",
		"Amagerbrogade", 55.6650, 12.6000, "Jonas"},
	{"cykelparkering", "Flere cykelstativer ved Nørreport Station",
		"Stativerne ved Nørreport er fyldt allerede halv otte om morgenen, og så ender cyklerne på fortovet, hvor de spærrer for gående og folk med barnevogn eller rollator. Byg en overdækket cykelkælder, eller brug et par af bilpladserne på Frederiksborggade til dobbeltstativer.",
		"Nørreport Station", 55.6834, 12.5716, ""},
	{"boern-og-skoleveje", "Sikker skolevej over Jagtvej ved Ågade",
		"Vores børn skal over Jagtvej for at komme i skole, og bilerne kommer alt for stærkt ned mod Ågade. Vi ønsker en hævet flade, længere grønt lys til cykler og gående og en overgang, hvor skolepatruljen kan stå sikkert. Der har været flere nærved-ulykker bare i år.",
		"Jagtvej/Ågade", 55.6960, 12.5450, "Sara, mor til to"},
	{"supercykelstier", "Forlæng supercykelstien ad Frederikssundsvej helt ind til byen",
		"Supercykelstien fra Ballerup stopper brat, og så er man ude mellem parkerede biler og busser på Frederikssundsvej. Forlæng den med brede cykelstier helt ind til Nørrebro Station, så pendlerne fra vestegnen får en sammenhængende rute.",
		"Frederikssundsvej", 55.7050, 12.5100, "Peter Holm"},
	{"sikre-ruter", "Bredere cykelsti på Dronning Louises Bro",
		"Verdens travleste cykelsti er for smal. I myldretiden kan man ikke overhale, og ladcykler og almindelige cykler kommer i konflikt hele tiden. Tag et vognbånd fra bilerne og giv cyklisterne mere plads i begge retninger.",
		"Dronning Louises Bro", 55.6858, 12.5665, "Ahmad"},
	{"kryds-og-signaler", "Tillad højresving for rødt for cyklister",
		"Lad cyklister svinge til højre for rødt, hvor der ikke er fodgængere i konflikt, som man gør i Paris og i Holland. Det letter trængslen i krydsene, og man kommer væk, før lastbilerne svinger.",
		"", 0, 0, ""},
	{"vintervedligeholdelse", "Salt Bryggebroen og Cykelslangen tidligt om morgenen",
		"Cykelslangen og Bryggebroen bliver spejlglatte, fordi de er af stål og træ. Jeg er selv væltet der to gange sidste vinter. Der skal saltes før kl. 6, og hellere én gang for meget end én gang for lidt.",
		"Bryggebroen og Cykelslangen", 55.6630, 12.5650, "Line"},
	{"cykelparkering", "Ladcykelparkering på sidegaderne",
		"Vi er mange børnefamilier på Vesterbro med ladcykel, men der er ingen steder at stille dem. De står på fortovet og i gårdene. Brug én bilparkeringsplads på hver sidegade til fire-fem ladcykelstativer, gerne med lås.",
		"Vesterbro", 55.6700, 12.5450, "Kasper"},
	{"sikre-ruter", "Hævet cykelsti på Vesterbrogade mellem Hovedbanegården og Enghave Plads",
		"Cykelstien er malet på kørebanen, og taxaer og varebiler holder på den hele dagen. Lav en rigtig hævet cykelsti med kantsten, så man ikke skal ud mellem bilerne.",
		"Vesterbrogade", 55.6720, 12.5490, ""},
	{"boern-og-skoleveje", "Cykeltræning for alle børnehaveklasser",
		"Mange børn lærer først at cykle i trafikken, når de er 10-11 år. Giv alle 0. klasser et forløb med cykelleg og træning i skolegården og på stille veje, så børnene er trygge, før de skal cykle alene.",
		"", 0, 0, "Birgitte, lærer"},
	{"supercykelstier", "Lys på Albertslundruten",
		"Lange stykker af supercykelstien gennem grønne områder er helt mørke om vinteren. Man kan ikke se huller eller fodgængere, og det føles utrygt at cykle der alene om aftenen. Sæt lamper op, gerne nogle der tænder, når man kommer.",
		"Albertslundruten", 55.6600, 12.4200, "Anders"},
	{"kryds-og-signaler", "Kortere ventetid ved Rådhuspladsen",
		"Krydset ved H.C. Andersens Boulevard og Vesterbrogade tager tre lysskift at komme over på cykel i myldretiden. Giv cyklerne et forgrønt signal og en egen fase, så vi kan komme over på én gang.",
		"H.C. Andersens Boulevard/Vesterbrogade", 55.6740, 12.5680, ""},
	{"sikre-ruter", "Krav om sideafvisere og kameraer på kommunens lastbiler",
		"Kommunen kan kræve i sine egne udbud, at skraldebiler og entreprenørernes lastbiler har sideafvisere, 360-graders kameraer og advarsel ved højresving. Det redder liv.",
		"", 0, 0, "Camilla"},
	{"cykelparkering", "Fjern skrotcyklerne oftere",
		"Halvdelen af stativerne ved stationerne er fyldt med cykler, der har stået der i månedsvis med flade dæk og uden sadel. Mærk dem og fjern dem hver måned i stedet for en gang om året.",
		"", 0, 0, ""},
	{"vintervedligeholdelse", "Snerydning på supercykelstierne også i weekenden",
		"Om lørdagen og søndagen bliver supercykelstierne ikke ryddet før sent på dagen. Mange af os arbejder i weekenden eller cykler børn til sport.",
		"", 0, 0, "Henrik"},
	{"sikre-ruter", "Lys på stien gennem Fælledparken",
		"Stien fra Trianglen mod Nørre Allé er kulsort om vinteren. Mange studerende og skoleelever cykler der. Sæt lys op langs stien.",
		"Fælledparken", 55.6990, 12.5700, "Freja"},
	{"boern-og-skoleveje", "Bilfri skolegader om morgenen",
		"Luk vejen foran skolen for biler mellem kl. 7.45 og 8.15, så børnene kan cykle og gå det sidste stykke uden bilerne, der holder i dobbelt række og vender midt på vejen.",
		"", 0, 0, "Forældre på Katrinedals Skole"},
	{"supercykelstier", "Supercykelsti langs Ørestads Boulevard",
		"Fra Ørestad er der ingen direkte og sikker rute ind til byen. Ørestads Boulevard har plads nok til en bred, sammenhængende cykelsti hele vejen til Islands Brygge.",
		"Ørestads Boulevard", 55.6300, 12.5780, ""},
	{"kryds-og-signaler", "Fodstøtter ved flere lyskryds",
		"Fodstøtterne ved nogle af krydsene er en lille ting, der gør en stor forskel, især for ældre cyklister. Sæt dem op ved alle de store kryds.",
		"", 0, 0, "Ole, 71 år"},
	{"sikre-ruter", "30 km/t i brokvartererne",
		"Sæt hastigheden ned til 30 km/t på alle sideveje og de mindre gader på Nørrebro, Østerbro og Vesterbro. Det gør det tryggere for både børn og ældre på cykel.",
		"", 0, 0, ""},
	{"cykelparkering", "Større cykelparkering ved Hovedbanegården",
		"Den nye cykelkælder er fyldt om morgenen, og på Reventlowsgade står cyklerne i tre lag. Der er brug for mindst dobbelt så mange pladser.",
		"Københavns Hovedbanegård", 55.6726, 12.5646, "Mads"},
	{"sikre-ruter", "Cykelsti i begge retninger i Gothersgade",
		"Gothersgade er en vigtig rute gennem Indre By, men cykelstien mangler på lange stræk, og man cykler mellem busser og taxaer.",
		"Gothersgade", 55.6830, 12.5800, ""},
	{"vintervedligeholdelse", "Sms eller besked i appen ved glatføre",
		"Send en besked om morgenen, når der er risiko for glatte cykelstier, og fortæl hvilke ruter der er saltet. Så kan man vælge en anden vej eller tage toget.",
		"", 0, 0, "Nanna"},
	{"boern-og-skoleveje", "Cykelbus til skolen",
		"Hjælp forældre med at lave cykelbusser, hvor børnene cykler sammen til skole ad en fast rute med et par voksne. Kommunen kan hjælpe med ruter, veste og en lille startpakke.",
		"", 0, 0, "Thomas"},
	{"kryds-og-signaler", "Tydeligere afmærkning ved Knippelsbro",
		"Ved Knippelsbro mod Christianshavn flettes cykler, busser og biler på en uoverskuelig måde. Mal blå cykelfelter, og sæt tydelige skilte op.",
		"Knippelsbro", 55.6728, 12.5880, ""},
	{"supercykelstier", "Pumper og værktøj langs supercykelstierne",
		"Sæt cykelpumper og små værktøjsstationer op ved rastepladserne på supercykelstierne. Det er billigt og redder mange morgener.",
		"", 0, 0, "Rasmus"},
	{"sikre-ruter", "Ingen skraldespande og byggeskilte på cykelstien",
		"Hver tirsdag står skraldespandene på cykelstien, og byggepladser stiller skilte midt på den. Det tvinger cyklisterne ud på kørebanen. Giv bøder, og lav faste pladser til skraldespandene.",
		"", 0, 0, ""},
	{"cykelparkering", "Aflåste cykelbokse til dyre cykler",
		"Elcykler og ladcykler bliver stjålet hele tiden. Lej aflåste cykelbokse ud i boligområderne, som man gør i Holland.",
		"", 0, 0, "Emil"},
	{"boern-og-skoleveje", "Sikker krydsning af Sydhavnsgade",
		"Børnene fra Sluseholmen skal over Sydhavnsgade for at komme i skole og til fritidsaktiviteter. Der kører tunge lastbiler, og lyset er grønt alt for kort tid.",
		"Sydhavnsgade", 55.6500, 12.5420, "Louise"},
	{"sikre-ruter", "Ny asfalt på cykelstien på Valby Langgade",
		"Cykelstien er fuld af huller og revner efter ledningsarbejde. Man kører slalom, og om aftenen kan man ikke se hullerne.",
		"Valby Langgade", 55.6650, 12.5050, ""},
	{"vintervedligeholdelse", "Fej blade og grus væk fra cykelstierne",
		"Om efteråret er cykelstierne dækket af våde blade, og om foråret ligger vintergruset der i ugevis. Begge dele er glat. Fej oftere, særligt i sving og ned ad bakker.",
		"", 0, 0, "Jesper"},
	{"kryds-og-signaler", "Fremrykket stoplinje for cykler i alle store kryds",
		"Når cyklerne holder foran bilerne for rødt, ser chaufførerne dem, før de svinger. Flyt stoplinjen for biler fem meter tilbage i alle store kryds.",
		"", 0, 0, ""},
	{"sikre-ruter", "Plads til cykler ved Inderhavnsbroen og Nyhavn",
		"Efter Inderhavnsbroen cykler man direkte ind i turister og cafeborde i Nyhavn. Lav en klart afmærket cykelrute fra broen op mod Kongens Nytorv.",
		"Inderhavnsbroen", 55.6815, 12.5935, "Marie"},
	{"supercykelstier", "Færre stop på Farumruten",
		"På Farumruten holder man for rødt mange gange på få kilometer. Giv supercykelstierne forrang i de små kryds, så det går lige så hurtigt som med toget.",
		"Farumruten", 55.7300, 12.5200, ""},
	{"cykelparkering", "Cykelparkering ved idrætshaller og svømmehaller",
		"Til håndboldtræning og svømning om aftenen er der altid fyldt i stativerne, og ungerne må stille cyklerne op ad hegnet. Flere stativer og lys ved indgangen, tak.",
		"", 0, 0, ""},
	{"sikre-ruter", "Cykelsti langs Lygten",
		"Lygten er en vigtig forbindelse mellem Nordvest og Nørrebro, men der mangler cykelsti i den ene side, og lastbilerne kører tæt.",
		"Lygten", 55.7040, 12.5390, "Yasmin"},
	{"boern-og-skoleveje", "Lånecykler til børn, der ikke har en cykel",
		"Ikke alle børn har en cykel, der passer. Lav en ordning, hvor skolerne kan låne cykler og hjelme ud til cykelture og cykeltræning.",
		"", 0, 0, ""},
	{"kryds-og-signaler", "Ryd op i skiltene ved Trianglen",
		"Ved Trianglen er der så mange skilte, pæle og striber, at man ikke ved, hvor man skal køre. Gør krydset enkelt og overskueligt for cyklister.",
		"Trianglen", 55.6995, 12.5780, ""},
	{"vintervedligeholdelse", "Ryd sne i cykelstativerne ved stationerne",
		"Når der er ryddet på cykelstien, er stativerne ved stationerne stadig begravet i sne. Man kan ikke parkere, og cyklerne ender på fortovet.",
		"", 0, 0, "Sofie"},
}

// demoStatus is the municipality's answer to one demo idea (by its place
// in demoIdeas), with an earlier "under review" for those with Via.
type demoStatus struct {
	Idea        int
	Status      string
	Via         bool
	Explanation models.Text
}

var demoStatuses = []demoStatus{
	{0, models.IdeaPartlyAdopted, true, models.Text{
		"da": "Fra næste forår udvider vi den grønne bølge på Nørrebrogade, så den også gælder om eftermiddagen i retning ud af byen. Hele dagen i begge retninger kan vi ikke love, fordi busserne også skal igennem krydsene, men vi måler effekten og vender tilbage.",
		"nl": "Vanaf volgend voorjaar breiden we de groene golf op de Nørrebrogade uit, zodat die ook 's middags geldt in de richting de stad uit. De hele dag in beide richtingen kunnen we niet beloven, omdat ook de bussen door de kruispunten moeten, maar we meten het effect en komen erop terug.",
		"en": "From next spring we will extend the green wave on Nørrebrogade so that it also works in the afternoon, heading out of the city. We cannot promise it all day in both directions, because the buses also need to get through the junctions, but we will measure the effect and report back."}},
	{1, models.IdeaAdopted, true, models.Text{
		"da": "Fra næste vinter kommer cykelstier og supercykelstier først i vintertjenestens rydningsplan, og entreprenørerne må ikke længere skubbe sne fra kørebanen ind på cykelstien.",
		"nl": "Vanaf volgende winter komen fietspaden en snelfietsroutes als eerste aan de beurt in het strooi- en ruimplan, en aannemers mogen geen sneeuw meer van de rijbaan op het fietspad schuiven.",
		"en": "From next winter, cycle tracks and cycle superhighways come first in the snow clearing plan, and contractors may no longer push snow from the road onto the cycle track."}},
	{2, models.IdeaUnderReview, false, models.Text{
		"da": "Vi undersøger, om en del af bilparkeringen på Frederiksborggade kan blive til cykelparkering, og taler med DSB om en cykelkælder. Vi svarer her, når undersøgelsen er færdig.",
		"nl": "We onderzoeken of een deel van het autoparkeren aan de Frederiksborggade fietsparkeren kan worden, en overleggen met DSB over een fietskelder. We antwoorden hier zodra het onderzoek klaar is.",
		"en": "We are looking into turning part of the car parking on Frederiksborggade into bike parking, and are talking with DSB about an underground bike park. We will answer here when the study is done."}},
	{3, models.IdeaUnderReview, false, models.Text{
		"da": "Vi har talt med skolen og måler trafikken og hastigheden i krydset i de kommende uger. Resultatet indgår i skolevejsanalysen.",
		"nl": "We hebben met de school gesproken en meten de komende weken het verkeer en de snelheid op het kruispunt. De uitkomst gaat mee in de analyse van de schoolroutes.",
		"en": "We have talked with the school and will measure traffic and speeds at the junction over the coming weeks. The results go into the school route analysis."}},
	{5, models.IdeaNotAdopted, false, models.Text{
		"da": "Vi kan ikke fjerne et vognbånd på Dronning Louises Bro, fordi busserne og udrykningskøretøjerne har brug for det. I stedet gør vi cykelstien på broen lidt bredere ved at flytte kantstenen mod fortovet, hvor der er plads, og sætter skilte op om hensynsfuld overhaling.",
		"nl": "We kunnen geen rijstrook op de Dronning Louises Bro schrappen, omdat bussen en hulpdiensten die nodig hebben. In plaats daarvan maken we het fietspad op de brug iets breder door de stoeprand te verplaatsen waar er ruimte is, en plaatsen we borden over rustig inhalen.",
		"en": "We cannot take a lane away on Dronning Louises Bro, because buses and emergency vehicles need it. Instead, we will widen the cycle track a little by moving the kerb towards the pavement where there is room, and put up signs about considerate overtaking."}},
	{7, models.IdeaImplemented, true, models.Text{
		"da": "Bryggebroen og Cykelslangen bliver nu saltet før kl. 6 alle dage, når der er varslet frost. Tak for idéen.",
		"nl": "De Bryggebroen en de Cykelslangen worden nu elke dag vóór 6 uur gestrooid als er vorst is voorspeld. Bedankt voor het idee.",
		"en": "Bryggebroen and Cykelslangen are now gritted before 6 a.m. every day when frost is forecast. Thank you for the idea."}},
	{14, models.IdeaImplemented, false, models.Text{
		"da": "Vi mærker og fjerner nu efterladte cykler ved de ti travleste stationer hver måned. Cykler, der er i orden, går til genbrug og cykelværksteder.",
		"nl": "We labelen en verwijderen achtergelaten fietsen nu elke maand bij de tien drukste stations. Fietsen die nog goed zijn, gaan naar kringloop en fietswerkplaatsen.",
		"en": "We now tag and remove abandoned bikes at the ten busiest stations every month. Bikes in good condition go to reuse and bike workshops."}},
	{17, models.IdeaAdopted, false, models.Text{
		"da": "Byrådet har besluttet at indføre skolegader som forsøg ved fem skoler fra efter sommerferien. Skoler, der vil være med, kan melde sig til forvaltningen.",
		"nl": "De gemeenteraad heeft besloten om na de zomervakantie bij wijze van proef schoolstraten in te voeren bij vijf scholen. Scholen die mee willen doen, kunnen zich melden.",
		"en": "The city council has decided to try school streets at five schools from after the summer holidays. Schools that want to take part can sign up with the administration."}},
}

// Comments of the demo: on any idea, by category, and replies.
var demoComments = []string{
	"Helt enig! Det her burde have været lavet for længe siden.",
	"Godt forslag. Jeg cykler der hver dag og kan kun bekræfte problemet.",
	"Ja tak. Det ville gøre en kæmpe forskel for min vej på arbejde.",
	"Støtter fuldt ud. Og husk at tænke på dem, der cykler med børn bagpå.",
	"Det lyder godt, men hvem skal betale for det?",
	"Det samme problem findes mange andre steder i byen. Start her, og tag resten bagefter.",
	"Jeg er ikke sikker på, at det hjælper, men det er værd at prøve.",
	"Endelig en, der siger det. Jeg har skrevet til kommunen om det flere gange.",
	"God idé, men det må ikke gå ud over fodgængerne.",
	"Jeg kører både bil og cykel, og jeg synes faktisk, det er en god løsning for alle.",
	"Det skal være trygt for en 10-årig. Så er det også trygt for alle andre.",
	"Kan kommunen ikke lave et forsøg i et halvt år og se, hvordan det går?",
	"Tak fordi du skrev det. Min datter tør ikke cykle der.",
	"Som ældre cyklist kan jeg kun sige ja tak.",
	"Det er ikke kun et problem i myldretiden – om aftenen er det næsten værre.",
	"Hvis det kan lade sig gøre i Amsterdam og Utrecht, kan det også her.",
	"Husk også cyklister med handicap og dem med trehjulet cykel.",
	"Lad os få det med i strategien. Det er lavthængende frugt.",
	"Enig, men så skal det også håndhæves.",
	"Jeg har set det virke i Odense. Det var en klar forbedring.",
	"Jeg tror, mange flere ville cykle, hvis det blev lavet.",
	"Fint forslag. Det handler i bund og grund om respekt for cyklisterne.",
	"Ja! Og gør det gerne, før næste vinter.",
	"Det er et spørgsmål om prioritering – pengene er der, hvis viljen er der.",
	"Det kan man da ikke være uenig i.",
	"Jeg savner, at kommunen fortæller, hvornår sådan noget bliver lavet.",
}

var demoCategoryComments = map[string][]string{
	"sikre-ruter": {
		"Jeg blev selv ramt af en bildør netop der sidste år. Der skal gøres noget.",
		"Kantsten mellem cykelsti og kørebane er det eneste, der virker. Maling holder ingen biler ude.",
		"Der mangler også lys. Om vinteren er det mørkt allerede kl. 16.",
		"Min søn cykler der hver dag, og jeg er nervøs, hver gang han tager afsted.",
		"Varebilerne holder på cykelstien hele dagen. Der skal flere p-vagter ud.",
	},
	"cykelparkering": {
		"Dobbeltstativer er en god løsning, hvis de er nemme at bruge. De gamle er alt for tunge.",
		"Jeg har fået stjålet to cykler ved stationen. Overvågning og aflåst parkering, tak.",
		"Tag gerne nogle bilpladser. Én bilplads giver plads til ti cykler.",
		"Husk plads til ladcykler og cykler med anhænger. De kan ikke stå i almindelige stativer.",
		"Tag skrotcyklerne først, så er der pludselig plads nok.",
	},
	"supercykelstier": {
		"Jeg pendler 18 km hver vej. Det hele står og falder med, at ruten hænger sammen.",
		"Supercykelstierne er fantastiske, indtil de pludselig holder op midt i ingenting.",
		"Ja tak til lys. Det er utrygt om vinteren, især som kvinde alene.",
		"Færre stop ville få mange flere til at tage cyklen i stedet for bilen.",
		"Husk også skiltningen. Det er svært at finde ruten, hvis man ikke kender den.",
	},
	"vintervedligeholdelse": {
		"Jeg faldt på is på vej til arbejde og brækkede håndleddet. Det kostede samfundet langt mere end saltet.",
		"Det er helt grotesk, at sneen fra vejen ender på cykelstien.",
		"I Oulu i Finland cykler de hele vinteren, fordi cykelstierne bliver ryddet først. Det kan lade sig gøre.",
		"Salt ødelægger cyklerne. Kan man bruge grus eller sand i stedet?",
		"Kommunen burde have en telefon eller app, hvor man kan melde glatte strækninger.",
	},
	"boern-og-skoleveje": {
		"Det er de voksne i bilerne, der gør skolevejen farlig, ikke børnene.",
		"Vores skole har prøvet en cykelbus, og børnene elsker det.",
		"Skolepatruljen gør et fantastisk stykke arbejde, men de kan ikke klare det alene.",
		"Jeg kører min søn i skole, fordi jeg ikke tør lade ham cykle. Det ville jeg gerne lade være med.",
		"Husk også fritidsaktiviteterne om eftermiddagen, ikke kun morgenen.",
	},
	"kryds-og-signaler": {
		"Lyskrydsene er indstillet til biler. Det er på tide, at de bliver indstillet til cykler.",
		"Det med højresving for rødt virker rigtig godt i Holland.",
		"Man står i kø for rødt med 40 andre cyklister, mens der ikke kommer en eneste bil.",
		"Et forgrønt signal til cykler gør krydset meget mere sikkert. Chaufførerne ser os tydeligt.",
		"Nedtællingsur ved lyskrydsene ville også hjælpe. Så ved man, om man kan nå det.",
	},
}

var demoReplies = []string{
	"Helt enig med dig.",
	"Det har du ret i. Det har jeg ikke tænkt på.",
	"Jeg oplever præcis det samme.",
	"Det er et godt punkt, men jeg tror stadig, forslaget er det rigtige.",
	"Tak! Jeg har lige skrevet det samme til min lokalpolitiker.",
	"Det er desværre ikke kun der – det er overalt i byen.",
	"Det koster faktisk ikke ret meget, har jeg læst.",
	"Enig. Det vigtigste er, at der sker noget.",
	"Jeg tror nu, de fleste bilister gerne vil tage hensyn, hvis vejen er indrettet til det.",
	"Det var også min første tanke.",
	"Godt sagt!",
	"Det kunne være et godt sted at starte.",
}

var demoNames = []string{"Anne", "Lars", "Pia", "Mikkel", "Hanne", "Søren", "Ida", "Frederik", "Lone", "Jakob", "Katrine", "Bo", "Signe", "Niels", "Julie", "Morten", "Cecilie", "Allan"}

// demoSupports spreads total supports over n ideas in order of popularity,
// unevenly (a few popular ideas, a long tail), every idea at least one.
func demoSupports(n, total int) []int {
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = 1 / math.Pow(float64(i)+1.6, 1.25)
		sum += w[i]
	}
	out := make([]int, n)
	given := 0
	for i := range out {
		out[i] = max(1, int(float64(total-n)*w[i]/sum)+1)
		given += out[i]
	}
	for i := 0; given < total; i = (i + 1) % n {
		out[i]++
		given++
	}
	return out
}

// SeedDemo adds the demo consultation, a call for ideas for a cycling
// strategy after Copenhagen's on Facebook (200+ comments, 120 shares,
// 1,700 likes), unless it exists: open now for six weeks, with about 40
// ideas, 212 comments (some replies), 1,700 supports spread unevenly, 120
// share clicks and the municipality's answer to 8 ideas. Everything is
// written in one transaction, in batches. createdBy may be nil.
func SeedDemo(ctx context.Context, gdb *gorm.DB, createdBy *string, now time.Time) (*models.Consultation, error) {
	var existing models.Consultation
	err := gdb.WithContext(ctx).Where("id = ?", DemoConsultationID).Limit(1).Find(&existing).Error
	if err != nil || existing.ID != "" {
		return &existing, err
	}
	now = now.UTC().Truncate(time.Second)
	opens := now.Add(-14 * 24 * time.Hour).Truncate(time.Hour)
	s := NewStore(gdb, nil, demoKey, func() time.Time { return now })
	rng := mrand.New(mrand.NewPCG(2030, 120))
	cons := &models.Consultation{
		ID:    DemoConsultationID,
		Title: models.Text{"da": "Cykelstrategi 2030", "nl": "Fietsstrategie 2030", "en": "Cycling strategy 2030"},
		Description: models.Text{
			"da": "Kommunen skriver en ny cykelstrategi, og vi vil gerne have dine idéer med fra starten. Hvor er det utrygt at cykle? Hvor mangler der plads til cyklen? Hvad skal der til, for at flere børn cykler i skole?\n\nDel din idé, støt de idéer, du er enig i, og skriv gerne en kommentar. Vi læser alle idéer, og her på siden kan du følge med i, hvad der sker med dem.",
			"nl": "De gemeente schrijft een nieuwe fietsstrategie, en we willen jouw ideeën er vanaf het begin bij hebben. Waar voel je je onveilig op de fiets? Waar is te weinig ruimte voor de fiets? Wat is er nodig zodat meer kinderen naar school fietsen?\n\nDeel je idee, steun de ideeën waar je het mee eens bent en schrijf gerust een reactie. We lezen alle ideeën, en op deze pagina kun je volgen wat ermee gebeurt.",
			"en": "The municipality is writing a new cycling strategy, and we want your ideas from the start. Where does cycling feel unsafe? Where is there too little room for bikes? What would make more children cycle to school?\n\nShare your idea, support the ideas you agree with and feel free to comment. We read every idea, and on this page you can follow what happens to them.",
		},
		Background: models.Text{
			"da": "Da vi sidst spurgte på Facebook, fik vi over 200 kommentarer, 120 delinger og 1.700 likes. Nu samler vi idéerne ét sted, så alle kan se dem, støtte dem og følge med i, hvad der sker med dem.\n\nStrategien bliver forelagt byrådet efter sommerferien. Idéer, der kan gennemføres inden for det nuværende budget, tager vi fat på løbende.",
			"nl": "Toen we het de vorige keer op Facebook vroegen, kregen we meer dan 200 reacties, 120 keer gedeeld en 1.700 likes. Nu verzamelen we de ideeën op één plek, zodat iedereen ze kan zien, steunen en volgen wat ermee gebeurt.\n\nDe strategie gaat na de zomervakantie naar de gemeenteraad. Ideeën die binnen het huidige budget passen, pakken we meteen op.",
			"en": "When we last asked on Facebook, we got over 200 comments, 120 shares and 1,700 likes. Now we are collecting the ideas in one place, so that everyone can see them, support them and follow what happens to them.\n\nThe strategy goes to the city council after the summer holidays. Ideas that fit within the current budget we take up as we go.",
		},
		Categories: demoCategories, OpensAt: opens, ClosesAt: opens.Add(6 * 7 * 24 * time.Hour),
		Moderation: models.ModerationPost, Anonymous: true, CreatedBy: createdBy, CreatedAt: opens.Add(-24 * time.Hour), UpdatedAt: opens.Add(-24 * time.Hour),
	}
	supports := demoSupports(len(demoIdeas), DemoSupports)

	// Ideas, posted over the weeks since opening (the popular ones mostly
	// early), each with its supporters: distinct synthetic participants.
	ideas := make([]models.Idea, len(demoIdeas))
	var rows []models.IdeaSupport
	span := now.Sub(opens) - 2*time.Hour
	for i, d := range demoIdeas {
		frac := rng.Float64()
		if i < 10 {
			frac *= 0.4
		}
		at := opens.Add(time.Duration(frac * float64(span))).Add(time.Duration(rng.IntN(3600)) * time.Second).Truncate(time.Second)
		idea := models.Idea{ID: fmt.Sprintf("demoidea%012d", i), ConsultationID: cons.ID,
			Participant: s.ParticipantKey(cons.ID, "p", fmt.Sprintf("demo-author-%d", i)), DisplayName: d.Name,
			Title: d.Title, Body: d.Body, Category: d.Cat, PlaceLabel: d.Place, Language: "da", Visibility: models.PostPublished,
			Explanation: models.Text{}, Supports: supports[i], CreatedAt: at, UpdatedAt: at}
		if d.Lat != 0 {
			lat, lng := d.Lat, d.Lng
			idea.Lat, idea.Lng = &lat, &lng
		}
		for _, p := range rng.Perm(1100)[:supports[i]] {
			rows = append(rows, models.IdeaSupport{IdeaID: idea.ID, Participant: s.ParticipantKey(cons.ID, "p", fmt.Sprintf("demo-supporter-%d", p))})
		}
		ideas[i] = idea
	}

	// Comments: spread by popularity, a quarter of them replies, each after
	// its idea (or the comment it answers).
	weights := make([]float64, len(ideas))
	var wsum float64
	for i := range ideas {
		weights[i] = math.Sqrt(float64(supports[i])) + 1
		wsum += weights[i]
	}
	perIdea := make([]int, len(ideas))
	given := 0
	for i := range ideas {
		perIdea[i] = int(float64(DemoComments) * weights[i] / wsum)
		given += perIdea[i]
	}
	for i := 0; given < DemoComments; i = (i + 1) % len(ideas) {
		perIdea[i]++
		given++
	}
	var comments []models.IdeaComment
	for i := range ideas {
		idea := &ideas[i]
		pool := append(append([]string{}, demoCategoryComments[idea.Category]...), demoComments...)
		order := rng.Perm(len(pool))
		var top []int // indexes in comments of this idea's top-level comments
		at := idea.CreatedAt
		for k := range perIdea[i] {
			at = at.Add(time.Duration(10+rng.IntN(max(11, int(now.Sub(at).Minutes())/(perIdea[i]-k+1)))) * time.Minute)
			if at.After(now) {
				at = now.Add(-time.Duration(perIdea[i]-k) * time.Minute)
			}
			cm := models.IdeaComment{ID: fmt.Sprintf("democomm%012d", len(comments)), IdeaID: idea.ID, ConsultationID: cons.ID,
				Participant: s.ParticipantKey(cons.ID, "p", fmt.Sprintf("demo-supporter-%d", rng.IntN(1100))),
				Visibility:  models.PostPublished, CreatedAt: at, UpdatedAt: at}
			if rng.IntN(3) > 0 {
				cm.DisplayName = demoNames[rng.IntN(len(demoNames))]
			}
			if len(top) > 0 && rng.IntN(4) == 0 {
				parent := comments[top[rng.IntN(len(top))]].ID
				cm.ParentID = &parent
				cm.Body = demoReplies[rng.IntN(len(demoReplies))]
			} else {
				cm.Body = pool[order[len(top)%len(order)]]
				top = append(top, len(comments))
			}
			comments = append(comments, cm)
		}
		idea.Comments = perIdea[i]
	}

	// Share clicks: a third on the consultation, the rest on its ideas,
	// mostly the popular ones.
	cons.ShareClicks = DemoShareClicks / 3
	for range DemoShareClicks - cons.ShareClicks {
		i := int(math.Floor(math.Pow(rng.Float64(), 2.2) * float64(len(ideas))))
		ideas[i].ShareClicks++
	}

	// The municipality's answers, given in the last days.
	var changes []models.IdeaStatusChange
	for n, st := range demoStatuses {
		idea := &ideas[st.Idea]
		at := now.Add(-time.Duration(len(demoStatuses)-n) * 20 * time.Hour).Truncate(time.Minute)
		if at.Before(idea.CreatedAt) {
			at = idea.CreatedAt.Add(2 * time.Hour)
		}
		first := at
		if st.Via {
			first = at.Add(-3 * 24 * time.Hour)
			if first.Before(idea.CreatedAt) {
				first = idea.CreatedAt.Add(time.Hour)
			}
			changes = append(changes, models.IdeaStatusChange{ID: fmt.Sprintf("demostat%012d", len(changes)), IdeaID: idea.ID, Status: models.IdeaUnderReview,
				Explanation: models.Text{"da": "Vi ser på idéen og vender tilbage.", "nl": "We bekijken het idee en komen erop terug.", "en": "We are looking at the idea and will get back to you."},
				AccountName: demoAnswerer, CreatedAt: first})
		}
		changes = append(changes, models.IdeaStatusChange{ID: fmt.Sprintf("demostat%012d", len(changes)), IdeaID: idea.ID, Status: st.Status,
			Explanation: st.Explanation, AccountName: demoAnswerer, CreatedAt: at})
		idea.Status, idea.Explanation, idea.StatusAt, idea.FirstStatusAt = st.Status, st.Explanation, &at, &first
		idea.UpdatedAt = at
	}

	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(cons).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(ideas, 50).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		// Top-level comments first: replies refer to them.
		var top, replies []models.IdeaComment
		for _, cm := range comments {
			if cm.ParentID == nil {
				top = append(top, cm)
			} else {
				replies = append(replies, cm)
			}
		}
		for _, batch := range [][]models.IdeaComment{top, replies} {
			if err := tx.CreateInBatches(batch, 100).Error; err != nil {
				return err
			}
		}
		return tx.CreateInBatches(changes, 50).Error
	})
	if err != nil {
		return nil, err
	}
	return cons, nil
}

// demoAnswerer signs the demo's answers.
const demoAnswerer = "Teknik- og Miljøforvaltningen"
