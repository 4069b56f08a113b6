package share

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"image/png"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/web/page"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/i18n"
)

func TestWithChannel(t *testing.T) {
	for _, c := range []struct{ in, channel, want string }{
		{"https://inspraak.example/s/42", "x", "https://inspraak.example/s/42?channel=x"},
		{"https://inspraak.example/s/42?lang=nl", "facebook", "https://inspraak.example/s/42?lang=nl&channel=facebook"},
		{"https://inspraak.example/s/42?b=2&a=1", "email", "https://inspraak.example/s/42?b=2&a=1&channel=email"},
		{"https://inspraak.example/s/42?channel=qr&lang=da", "linkedin", "https://inspraak.example/s/42?lang=da&channel=linkedin"},
		{"https://inspraak.example/s/42?chan%6Eel=qr", "x", "https://inspraak.example/s/42?channel=x"},
		{"https://inspraak.example/s/42?q=a+b%26c#answers", "x", "https://inspraak.example/s/42?q=a+b%26c&channel=x#answers"},
		{"https://inspraak.example/s/42?", "x", "https://inspraak.example/s/42?channel=x"},
		{"/s/42", "qr", "/s/42?channel=qr"},
		{"https://inspraak.example/", "a b&c", "https://inspraak.example/?channel=a+b%26c"},
		{"https://inspraak.example/", "", "https://inspraak.example/"},
		{"https://inspraak.example/%zz", "x", "https://inspraak.example/%zz"},
	} {
		if got := WithChannel(c.in, c.channel); got != c.want {
			t.Errorf("WithChannel(%q, %q) = %q, want %q", c.in, c.channel, got, c.want)
		}
	}
}

func TestLinks(t *testing.T) {
	page := "https://inspraak.example/s/42?lang=da#top"
	title := "Cykelstrategi & trafik: <din> mening? 100%"
	links := Links(page, title)
	want := []struct{ network, prefix, param string }{
		{"facebook", "https://www.facebook.com/sharer/sharer.php?", "u"},
		{"x", "https://twitter.com/intent/tweet?", "url"},
		{"linkedin", "https://www.linkedin.com/sharing/share-offsite/?", "url"},
		{"email", "mailto:?", "body"},
	}
	if len(links) != len(want) {
		t.Fatalf("got %d links, want %d", len(links), len(want))
	}
	for i, w := range want {
		l := links[i]
		if l.Network != w.network || l.Label != "share."+w.network {
			t.Errorf("link %d = %+v, want network %s", i, l, w.network)
		}
		if !strings.HasPrefix(l.URL, w.prefix) {
			t.Errorf("%s URL %q lacks prefix %q", l.Network, l.URL, w.prefix)
			continue
		}
		if strings.ContainsAny(l.URL, " <>\"'#") {
			t.Errorf("%s URL %q is not fully encoded", l.Network, l.URL)
		}
		q, err := url.ParseQuery(strings.TrimPrefix(l.URL, w.prefix))
		if err != nil {
			t.Fatalf("%s: %v", l.Network, err)
		}
		shared := q.Get(w.param)
		if l.Network == "email" {
			if q.Get("subject") != title {
				t.Errorf("email subject = %q, want %q", q.Get("subject"), title)
			}
			if strings.Contains(l.URL, "+") {
				t.Errorf("mailto URL %q uses + for spaces; mail clients want %%20", l.URL)
			}
			body, ok := strings.CutPrefix(shared, title+"\r\n\r\n")
			if !ok {
				t.Errorf("email body %q does not start with the title", shared)
			}
			shared = body
		}
		if l.Network == "x" && q.Get("text") != title {
			t.Errorf("x text = %q, want %q", q.Get("text"), title)
		}
		wantShared := "https://inspraak.example/s/42?lang=da&channel=" + w.network + "#top"
		if shared != wantShared {
			t.Errorf("%s shares %q, want %q", l.Network, shared, wantShared)
		}
	}
	// X: url first, as in the documented intent URL.
	if !strings.HasPrefix(links[1].URL, "https://twitter.com/intent/tweet?url=https%3A%2F%2F") {
		t.Errorf("x URL = %q", links[1].URL)
	}
}

func TestLinksWithoutTitle(t *testing.T) {
	for _, l := range Links("https://inspraak.example/", "") {
		if strings.Contains(l.URL, "text=") || strings.Contains(l.URL, "subject=") {
			t.Errorf("%s URL %q carries an empty title", l.Network, l.URL)
		}
	}
	mail := Links("https://inspraak.example/", "")[3].URL
	if want := "mailto:?body=https%3A%2F%2Finspraak.example%2F%3Fchannel%3Demail"; mail != want {
		t.Errorf("mailto = %q, want %q", mail, want)
	}
}

func TestOGLocale(t *testing.T) {
	for in, want := range map[string]string{"da": "da_DK", "nl": "nl_NL", "en": "en_GB", "nl-BE": "nl_NL", "EN_us": "en_GB", "de": "", "": ""} {
		if got := OGLocale(in); got != want {
			t.Errorf("OGLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQRPNG(t *testing.T) {
	const u = "https://inspraak.example/s/42?channel=qr"
	bm, err := bitmap(u)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	for _, c := range []struct{ size, want int }{{256, 256}, {300, 300}, {1000, 1000}, {10, 128}, {-5, 128}, {5000, 2048}} {
		b, err := QRPNG(u, c.size)
		if err != nil {
			t.Fatalf("size %d: %v", c.size, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: %v", c.size, err)
		}
		r := img.Bounds()
		if r.Dx() != c.want || r.Dy() != c.want || r.Min.X != 0 || r.Min.Y != 0 {
			t.Fatalf("size %d: image is %v, want %dx%d", c.size, r, c.want, c.want)
		}
		// Each module's centre pixel has the module's colour.
		scale := c.want / n
		off := (c.want - n*scale) / 2
		for y, row := range bm {
			for x, dark := range row {
				cr, _, _, _ := img.At(off+x*scale+scale/2, off+y*scale+scale/2).RGBA()
				if (cr == 0) != dark {
					t.Fatalf("size %d: module (%d,%d) dark=%v, pixel red=%d", c.size, x, y, dark, cr)
				}
			}
		}
		// The corners are white margin.
		if cr, _, _, _ := img.At(0, 0).RGBA(); cr == 0 {
			t.Errorf("size %d: corner is dark", c.size)
		}
	}
}

func TestQRErrors(t *testing.T) {
	if _, err := QRPNG("", 256); err == nil {
		t.Error("empty URL: no error")
	}
	if _, err := QRSVG(""); err == nil {
		t.Error("empty URL: no error")
	}
	long := "https://inspraak.example/?q=" + strings.Repeat("a", 1800)
	if _, err := QRPNG(long, 128); err == nil {
		t.Error("long URL at 128 px: no error")
	}
	if _, err := QRPNG(long, 2048); err != nil {
		t.Errorf("long URL at 2048 px: %v", err)
	}
	if _, err := QRSVG(strings.Repeat("a", 5000)); err == nil {
		t.Error("URL too long to encode: no error")
	}
}

type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Shape   string   `xml:"shape-rendering,attr"`
	Title   string   `xml:"title"`
	Rect    struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
}

var runRe = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestQRSVG(t *testing.T) {
	const u = "https://inspraak.example/s/42?a=1&b=<2>&channel=qr"
	s, err := QRSVG(u)
	if err != nil {
		t.Fatal(err)
	}
	bm, _ := bitmap(u)
	n := len(bm)

	if strings.Contains(s, "<2>") || !strings.Contains(s, "a=1&amp;b=&lt;2&gt;") {
		t.Errorf("URL not escaped in the title: %s", s[:min(len(s), 400)])
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("SVG does not parse: %v", err)
	}
	if doc.Title != u {
		t.Errorf("title = %q, want %q", doc.Title, u)
	}
	ns := strconv.Itoa(n)
	if doc.ViewBox != "0 0 "+ns+" "+ns {
		t.Errorf("viewBox = %q, want 0 0 %d %d", doc.ViewBox, n, n)
	}
	if doc.Shape != "crispEdges" {
		t.Errorf("shape-rendering = %q", doc.Shape)
	}
	if doc.Rect.Width != ns || doc.Rect.Height != ns || doc.Rect.Fill != "#fff" {
		t.Errorf("background = %+v", doc.Rect)
	}
	if len(doc.Paths) != 1 || doc.Paths[0].Fill != "#000" {
		t.Fatalf("want one black path, got %+v", doc.Paths)
	}

	// Redraw the path and compare it with the bitmap, module by module.
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	d := doc.Paths[0].D
	if rest := runRe.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("unexpected path data %q", rest[:min(len(rest), 50)])
	}
	drawn := 0
	for _, m := range runRe.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if m[3] != m[4] || y >= n || x+w > n {
			t.Fatalf("bad run %q", m[0])
		}
		for i := x; i < x+w; i++ {
			if grid[y][i] {
				t.Fatalf("module (%d,%d) drawn twice", i, y)
			}
			grid[y][i] = true
			drawn++
		}
	}
	dark := 0
	for y := range bm {
		for x := range bm[y] {
			if bm[y][x] {
				dark++
			}
			if bm[y][x] != grid[y][x] {
				t.Fatalf("module (%d,%d): bitmap %v, SVG %v", x, y, bm[y][x], grid[y][x])
			}
		}
	}
	if drawn != dark || dark == 0 {
		t.Errorf("SVG draws %d modules, bitmap has %d", drawn, dark)
	}
	// Quiet zone: nothing drawn in the outer 4 modules.
	for i := 0; i < n; i++ {
		for j := 0; j < quietZone; j++ {
			if grid[j][i] || grid[i][j] || grid[n-1-j][i] || grid[i][n-1-j] {
				t.Fatalf("quiet zone not empty at %d,%d", i, j)
			}
		}
	}
	// Version 1 and up: a symbol is at least 21 modules wide.
	if n < 21+2*quietZone {
		t.Errorf("symbol is %d modules", n)
	}
	// No event handlers or scripts.
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "script" {
				t.Error("SVG has a script")
			}
			for _, a := range se.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "style" {
					t.Errorf("SVG has attribute %s", a.Name.Local)
				}
			}
		}
	}
}

// TestTemplates parses the partials as page.NewRenderer does and renders
// both blocks with the real translations.
func TestTemplates(t *testing.T) {
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	funcs := page.TemplateFuncs(func(string) string { return "" })
	tmpl, err := template.New("").Funcs(funcs).ParseFS(a.Templates, "layouts/*.html", "partials/*.html")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing outside the defines.
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "share.html", nil); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != "" {
		t.Errorf("share.html has content outside {{define}}: %q", buf.String())
	}

	bundle, err := i18n.Load(a.Locales, []string{"da", "nl", "en"}, "da", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	page := "https://inspraak.example/s/42?lang=nl"
	title := `Fietsen & "verkeer" <script>`
	for _, lang := range bundle.Languages() {
		l := bundle.For(lang)
		data := map[string]any{
			"L":        l,
			"Share":    Links(page, title),
			"ShareURL": WithChannel(page, ChannelLink),
			"OG":       OG{Title: title, Description: "Praat mee", URL: page, Locale: OGLocale(lang)},
		}
		buf.Reset()
		if err := tmpl.ExecuteTemplate(&buf, "og-meta", data); err != nil {
			t.Fatal(err)
		}
		og := buf.String()
		for _, want := range []string{
			`<meta property="og:type" content="website">`,
			`<meta property="og:site_name" content="Inspraak">`,
			`<meta property="og:title" content="Fietsen &amp; &#34;verkeer&#34; &lt;script&gt;">`,
			`<meta property="og:description" content="Praat mee">`,
			`<meta property="og:url" content="https://inspraak.example/s/42?lang=nl">`,
			`<meta property="og:locale" content="` + OGLocale(lang) + `">`,
			`<meta name="twitter:card" content="summary">`,
			`<meta name="twitter:title" content="Fietsen &amp; &#34;verkeer&#34; &lt;script&gt;">`,
			`<meta name="twitter:description" content="Praat mee">`,
		} {
			if !strings.Contains(og, want) {
				t.Errorf("%s og-meta lacks %s in:\n%s", lang, want, og)
			}
		}
		if strings.Contains(og, "og:image") || strings.Contains(og, "<script>") {
			t.Errorf("%s og-meta:\n%s", lang, og)
		}

		buf.Reset()
		if err := tmpl.ExecuteTemplate(&buf, "share-links", data); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{
			`<section aria-labelledby="share-heading"`,
			`<h2 id="share-heading">` + l.T("share.heading") + `</h2>`,
			`<label for="share-url">` + l.T("share.copy_label") + `</label>`,
			`<input id="share-url" type="text" value="https://inspraak.example/s/42?lang=nl&amp;channel=link" readonly`,
			`href="mailto:?subject=`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s share-links lacks %s in:\n%s", lang, want, out)
			}
		}
		for _, link := range Links(page, title) {
			label := l.T(link.Label)
			if label == link.Label {
				t.Errorf("%s lacks %s", lang, link.Label)
			}
			if !strings.Contains(out, `rel="nofollow noopener" class="share-`+link.Network+`">`+label+`</a>`) {
				t.Errorf("%s share-links lacks the %s link in:\n%s", lang, link.Network, out)
			}
		}
		if strings.Contains(out, "<script>") || strings.Contains(out, "#ZgotmplZ") {
			t.Errorf("%s share-links:\n%s", lang, out)
		}
	}

	// With an image, og:image and twitter:image appear; without .OG, nothing.
	buf.Reset()
	if err := tmpl.ExecuteTemplate(&buf, "og-meta", map[string]any{"OG": OG{Title: "t", URL: "https://x.example/", Image: "https://x.example/i.png?a=1&b=2"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<meta property="og:image" content="https://x.example/i.png?a=1&amp;b=2">`) ||
		!strings.Contains(buf.String(), `<meta name="twitter:image"`) || strings.Contains(buf.String(), "og:locale") {
		t.Errorf("og-meta with image:\n%s", buf.String())
	}
	buf.Reset()
	if err := tmpl.ExecuteTemplate(&buf, "og-meta", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != "" {
		t.Errorf("og-meta without .OG: %q", buf.String())
	}
}
