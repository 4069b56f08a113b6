package share

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// PNG sizes QRPNG accepts; other sizes are clamped to this range.
const (
	MinQRSize = 128
	MaxQRSize = 2048
)

// quietZone is the white margin around the symbol, in modules (the
// standard asks for 4).
const quietZone = 4

// bitmap encodes url with medium error correction (about 15% of the symbol
// may be damaged or covered) and returns its modules, true for dark,
// including the quiet zone.
func bitmap(url string) ([][]bool, error) {
	if url == "" {
		return nil, errors.New("share: empty URL for QR code")
	}
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("share: QR code: %w", err)
	}
	q.DisableBorder = true
	inner := q.Bitmap()
	n := len(inner) + 2*quietZone
	out := make([][]bool, n)
	for y := range out {
		out[y] = make([]bool, n)
		if y >= quietZone && y < n-quietZone {
			copy(out[y][quietZone:], inner[y-quietZone])
		}
	}
	return out, nil
}

// QRPNG returns a black-on-white PNG of the QR code for url, size×size
// pixels (size is clamped to 128..2048). Every module has the same whole
// number of pixels; what is left over widens the white margin. It fails if
// the URL is too long to encode or to draw at that size.
func QRPNG(url string, size int) ([]byte, error) {
	size = min(max(size, MinQRSize), MaxQRSize)
	bm, err := bitmap(url)
	if err != nil {
		return nil, err
	}
	n := len(bm)
	scale := size / n
	if scale < 1 {
		return nil, fmt.Errorf("share: URL too long for a %d px QR code", size)
	}
	offset := (size - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := offset + y*scale; py < offset+(y+1)*scale; py++ {
				start := img.PixOffset(offset+x*scale, py)
				for i := range scale {
					img.Pix[start+i] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// QRSVG returns the QR code for url as a standalone SVG document: a white
// background and one black <path> of module runs, one unit per module,
// with a 4-module quiet zone. It scales to any size (set width or height
// where it is used) and carries the URL in its <title>.
func QRSVG(url string) (string, error) {
	bm, err := bitmap(url)
	if err != nil {
		return "", err
	}
	n := strconv.Itoa(len(bm))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges">`)
	b.WriteString(`<title>`)
	if err := xml.EscapeText(&b, []byte(url)); err != nil {
		return "", err
	}
	b.WriteString(`</title>`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/>`)
	b.WriteString(`<path fill="#000" d="`)
	// One subpath per horizontal run of dark modules keeps the file small.
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.String(), nil
}
