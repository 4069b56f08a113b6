package results

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// sheetWriter writes an export in one format: the header, one row per
// response, then whatever ends the file.
type sheetWriter interface {
	header(cols []column) error
	row(cells []cell) error
	finish(lay *layout) error
}

// utf8BOM makes Excel read the file as UTF-8, so æøå and ë come out right.
const utf8BOM = "\uFEFF"

// csvWriter writes CSV (RFC 4180, LF line ends): comma-separated, decimal
// point, dates as YYYY-MM-DD, UTF-8 with a byte order mark.
type csvWriter struct {
	w      io.Writer
	cw     *csv.Writer
	record []string
	bom    bool
}

func newCSVWriter(w io.Writer) *csvWriter {
	// Lines end in LF: with UseCRLF, encoding/csv drops a lone CR inside a
	// field, and Excel reads either.
	cw := csv.NewWriter(w)
	return &csvWriter{w: w, cw: cw}
}

func (c *csvWriter) header(cols []column) error {
	if _, err := io.WriteString(c.w, utf8BOM); err != nil {
		return err
	}
	c.record = make([]string, len(cols))
	for i, col := range cols {
		c.record[i] = escapeText(col.header())
	}
	return c.write()
}

func (c *csvWriter) row(cells []cell) error {
	for i, v := range cells {
		switch v.kind {
		case cellText:
			c.record[i] = escapeText(v.s)
		case cellNumber:
			c.record[i] = formatNumber(v.n)
		case cellDate, cellTime:
			c.record[i] = v.s
		default:
			c.record[i] = ""
		}
	}
	return c.write()
}

// write writes one record; csv.Writer buffers, so an error (the client
// went away) shows on the flush.
func (c *csvWriter) write() error {
	if err := c.cw.Write(c.record); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvWriter) finish(*layout) error {
	c.cw.Flush()
	return c.cw.Error()
}

// xlsxWriter writes the responses sheet through excelize's StreamWriter
// (rows go to a temporary file once past a few MB, not into memory) and a
// codebook sheet. Text is always written as a string cell, never as a
// formula, and escaped like the CSV.
type xlsxWriter struct {
	w         io.Writer
	f         *excelize.File
	sw        *excelize.StreamWriter
	rowNum    int
	values    []any
	dateStyle int
	timeStyle int
	headStyle int
	dataName  string
	codeName  string
}

func newXLSXWriter(w io.Writer, lay *layout) (*xlsxWriter, error) {
	x := &xlsxWriter{w: w, f: excelize.NewFile(), dataName: sheetName(lay.l.T("export.sheet_data")), codeName: sheetName(lay.l.T("export.sheet_codebook"))}
	if err := x.f.SetSheetName("Sheet1", x.dataName); err != nil {
		return nil, err
	}
	var err error
	iso := "yyyy-mm-dd"
	if x.dateStyle, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &iso}); err != nil {
		return nil, err
	}
	isoTime := `yyyy-mm-dd"T"hh:mm:ss"Z"` // shown as in the CSV: RFC 3339, UTC
	if x.timeStyle, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &isoTime}); err != nil {
		return nil, err
	}
	if x.headStyle, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return nil, err
	}
	if x.sw, err = x.f.NewStreamWriter(x.dataName); err != nil {
		return nil, err
	}
	return x, nil
}

// sheetName keeps what Excel allows in a sheet name.
func sheetName(s string) string {
	r := []rune(s)
	if len(r) > 31 {
		r = r[:31]
	}
	return string(r)
}

func (x *xlsxWriter) close() { _ = x.f.Close() }

func (x *xlsxWriter) header(cols []column) error {
	x.values = make([]any, len(cols))
	for i, col := range cols {
		x.values[i] = excelize.Cell{StyleID: x.headStyle, Value: escapeText(col.header())}
	}
	for i, col := range cols {
		width := 14.0
		switch col.kind {
		case colResponse:
			width = 22
		case colDate:
			width = 11
		case colTime:
			width = 20
		}
		if err := x.sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return x.next(excelize.RowOpts{Height: 60})
}

func (x *xlsxWriter) next(opts ...excelize.RowOpts) error {
	x.rowNum++
	ref, err := excelize.CoordinatesToCellName(1, x.rowNum)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, x.values, opts...)
}

func (x *xlsxWriter) row(cells []cell) error {
	for i, v := range cells {
		switch v.kind {
		case cellText:
			x.values[i] = escapeText(v.s)
		case cellNumber:
			x.values[i] = v.n
		case cellDate:
			if t, err := time.Parse(time.DateOnly, v.s); err == nil {
				x.values[i] = excelize.Cell{StyleID: x.dateStyle, Value: t}
			} else {
				x.values[i] = escapeText(v.s)
			}
		case cellTime:
			if t, err := time.Parse(time.RFC3339, v.s); err == nil {
				x.values[i] = excelize.Cell{StyleID: x.timeStyle, Value: t.UTC()}
			} else {
				x.values[i] = escapeText(v.s)
			}
		default:
			x.values[i] = nil
		}
	}
	return x.next()
}

// finish writes the codebook, then the whole workbook to w.
func (x *xlsxWriter) finish(lay *layout) error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if err := x.codebook(lay); err != nil {
		return err
	}
	// excelize's WriteTo builds the whole zip in a bytes.Buffer first. Its
	// zip writer is pluggable, so it is given one that writes straight to
	// w, and the buffer it asks for stays empty. (The buffer is also where
	// it would mark parts over 4 GB as ZIP64; a sheet cannot get that big.)
	zw := zip.NewWriter(x.w)
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	buf, err := x.f.WriteToBuffer()
	if err == nil && buf.Len() > 0 {
		err = errors.New("export: excelize wrote past the zip writer")
	}
	return err
}

// codebook lists every column of the responses sheet: its letter, key,
// label, the question it belongs to, the question type and what its
// values mean (option keys with their labels, ranges, codes).
func (x *xlsxWriter) codebook(lay *layout) error {
	l := lay.l
	if _, err := x.f.NewSheet(x.codeName); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(x.codeName)
	if err != nil {
		return err
	}
	wrap, err := x.f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, w := range []float64{8, 24, 48, 16, 48, 16, 48} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := 0
	put := func(style int, vals ...string) error {
		row++
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = excelize.Cell{StyleID: style, Value: escapeText(v)}
		}
		ref, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(ref, out)
	}
	if err := put(x.headStyle, l.T("export.cb_column"), l.T("export.cb_key"), l.T("export.cb_label"), l.T("export.cb_question"),
		l.T("export.cb_question_text"), l.T("export.cb_type"), l.T("export.cb_values")); err != nil {
		return err
	}
	for i, col := range lay.cols {
		letter, _ := excelize.ColumnNumberToName(i + 1)
		qKey, qText, typ := "", "", ""
		if col.q != nil {
			qKey, qText, typ = col.q.Key, lay.questions[col.q.Key].text, l.T(fmt.Sprintf("survey.type_%s", col.q.Type))
		}
		if err := put(wrap, letter, col.key, col.label, qKey, qText, typ, col.values); err != nil {
			return err
		}
	}
	row++
	for _, id := range []string{"export.note_header", "export.note_order", "export.note_empty", "export.note_escape"} {
		if err := put(0, l.T(id)); err != nil {
			return err
		}
	}
	return sw.Flush()
}
