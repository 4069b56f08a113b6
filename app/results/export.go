package results

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// exportTimeout bounds one export's database work: long enough for a
// million responses over a slow link, short enough that a stuck client
// does not hold a connection for ever.
const exportTimeout = 30 * time.Minute

// ExportCSV streams a survey's responses as CSV: one row per response.
//
//	GET /staff/surveys/:id/export.csv, GET /api/v1/surveys/:id/export.csv
func (h *Handlers) ExportCSV(c *fiber.Ctx) error { return h.export(c, FormatCSV) }

// ExportXLSX streams a survey's responses as an Excel workbook with a
// codebook sheet.
//
//	GET /staff/surveys/:id/export.xlsx, GET /api/v1/surveys/:id/export.xlsx
func (h *Handlers) ExportXLSX(c *fiber.Ctx) error { return h.export(c, FormatXLSX) }

// export checks the request, then answers with a body that is written while
// the client reads it. The database is read inside that writer, after this
// handler has returned, so it runs on a context of its own (the request's
// values, not its lifetime), cancelled when the client goes away.
func (h *Handlers) export(c *fiber.Ctx, format string) error {
	l := page.L(c)
	// The language middleware already chose ?lang= when it is supported;
	// an unsupported one fell through silently there, and is refused here.
	if q := strings.ToLower(strings.TrimSpace(c.Query("lang"))); q != "" && q != l.Lang {
		return apperr.Query(apperr.Invalid("lang", "export.lang_invalid"))
	}
	ctx := c.UserContext()
	sv, err := h.store.surveys.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	ex, err := h.store.NewExport(ctx, sv, l)
	if err != nil {
		return err
	}
	ctype := "text/csv; charset=utf-8"
	if format == FormatXLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(sv.Title.In(l.Lang, surveys.Languages(sv)...), sv.ID, format))
	c.Set(fiber.HeaderCacheControl, "no-store") // answers are personal data
	streamBody(c, context.WithoutCancel(ctx), func(ctx context.Context, w io.Writer) error {
		return ex.Write(ctx, w, format)
	})
	return nil
}

// streamBody makes write the response body. It runs in a goroutine of its
// own and writes into a pipe that fasthttp copies to the client in chunks,
// so memory holds one buffer, not the file. A failure half-way closes the
// pipe with the error: fasthttp then drops the connection without the
// final chunk, so the client sees a broken download, not a short file
// that looks whole. A client that goes away closes the pipe's reader,
// which cancels ctx and so the database query.
func streamBody(c *fiber.Ctx, parent context.Context, write func(ctx context.Context, w io.Writer) error) {
	ctx, cancel := context.WithTimeout(parent, exportTimeout)
	pr, pw := io.Pipe()
	go func() {
		defer cancel()
		bw := bufio.NewWriterSize(pw, 64<<10)
		err := write(ctx, bw)
		if err == nil {
			err = bw.Flush()
		}
		_ = pw.CloseWithError(err) // nil: the reader sees EOF
		if err != nil && !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, context.Canceled) {
			slog.Default().Error("export failed", "err", err)
		}
	}()
	c.Response().SetBodyStream(&cancelOnClose{PipeReader: pr, cancel: cancel}, -1)
}

// cancelOnClose is the body fasthttp reads; fasthttp closes it when the
// response is written or the connection failed.
type cancelOnClose struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (r *cancelOnClose) Close() error {
	r.cancel()
	return r.PipeReader.Close()
}

// contentDisposition names the download after the survey's title: an
// ASCII fallback for old clients and the UTF-8 name (RFC 6266, 5987).
func contentDisposition(title, id, ext string) string {
	ascii, full := fileNames(title)
	if ascii == "" {
		ascii = "survey-" + id
	}
	if full == "" {
		full = ascii
	}
	return `attachment; filename="` + ascii + "." + ext + `"; filename*=UTF-8''` + url.PathEscape(full+"."+ext)
}

// fileNames turns a title into a file name: ascii has only letters,
// digits and dashes (æ -> ae, é -> e, ...); full keeps the letters of every
// language but drops what file systems or headers refuse.
func fileNames(title string) (ascii, full string) {
	const maxRunes = 80
	var a, f strings.Builder
	dash := func(b *strings.Builder) {
		if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	n := 0
	for _, r := range title {
		if n >= maxRunes {
			break
		}
		n++
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			f.WriteRune(r)
		default:
			dash(&f)
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			a.WriteRune(r)
			continue
		}
		if s, ok := translit[r]; ok {
			a.WriteString(s)
			continue
		}
		if unicode.IsLetter(r) {
			// é = e + combining accent: keep the base letter when it is ASCII.
			if d := []rune(norm.NFD.String(string(r))); len(d) > 0 && d[0] < unicode.MaxASCII && unicode.IsLetter(d[0]) {
				a.WriteRune(d[0])
				continue
			}
		}
		dash(&a)
	}
	return strings.Trim(a.String(), "-"), strings.Trim(f.String(), "-")
}

// translit spells the letters that do not decompose into an ASCII base.
var translit = map[rune]string{
	'æ': "ae", 'Æ': "Ae", 'ø': "oe", 'Ø': "Oe", 'å': "aa", 'Å': "Aa", 'ß': "ss",
	'ĳ': "ij", 'Ĳ': "IJ", 'œ': "oe", 'Œ': "Oe", 'ð': "d", 'þ': "th", 'ł': "l",
}

// Export is one survey's export, ready to write: its columns are fixed
// when it is made.
type Export struct {
	store   *Store
	sv      *models.Survey
	layout  *layout
	weigher *Weigher
}

// NewExport prepares sv's export with labels in l's language.
func (s *Store) NewExport(ctx context.Context, sv *models.Survey, l *i18n.L) (*Export, error) {
	def, err := s.surveys.Definition(sv)
	if err != nil {
		return nil, err
	}
	w, err := s.Weigher(ctx, sv)
	if err != nil {
		return nil, err
	}
	fields, err := s.attributeFields(ctx, sv.ID)
	if err != nil {
		return nil, err
	}
	lay := newLayout(sv, def, l, fields, w != nil)
	return &Export{store: s, sv: sv, layout: lay, weigher: w}, nil
}

// Write writes the export in format (FormatCSV or FormatXLSX) to w.
func (e *Export) Write(ctx context.Context, w io.Writer, format string) error {
	var sw sheetWriter
	switch format {
	case FormatCSV:
		sw = newCSVWriter(w)
	case FormatXLSX:
		x, err := newXLSXWriter(w, e.layout)
		if err != nil {
			return err
		}
		defer x.close()
		sw = x
	default:
		return errors.New("export: unknown format " + format)
	}
	if err := sw.header(e.layout.cols); err != nil {
		return err
	}
	cells := make([]cell, len(e.layout.cols))
	err := e.store.eachResponse(ctx, e.sv.ID, len(e.layout.fields) > 0, e.layout, cells, func(r *responseState) error {
		if e.weigher != nil {
			cells[e.layout.weightCol] = numberCell(e.weigher.Weight(r.singles, r.attrs))
		}
		return sw.row(cells)
	})
	if err != nil {
		return err
	}
	return sw.finish(e.layout)
}
