package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// table is an aligned text table. Unlike text/tabwriter, which counts every
// rune as one column, it measures the display width of Chinese text (two
// columns a character), so enterprise names and districts line up in a
// terminal. It may hold several tables, each with its own header row, and
// lines of text, printed in order with blank lines between tables.
type table struct {
	parts []tablePart
}

type tablePart struct {
	rows [][]string // the first row is the header
	text string     // a line of text when rows is nil
}

func newTable() *table { return &table{} }

// row adds a row to the current table; the first row is its header.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == '\t' {
				return ' '
			}
			return r
		}, c)
		if strings.TrimSpace(cells[i]) == "" {
			cells[i] = "-"
		}
	}
	if n := len(t.parts); n > 0 && t.parts[n-1].rows != nil {
		t.parts[n-1].rows = append(t.parts[n-1].rows, cells)
		return
	}
	t.parts = append(t.parts, tablePart{rows: [][]string{cells}})
}

// section ends the current table; the next row is a new header.
func (t *table) section() {
	t.parts = append(t.parts, tablePart{})
}

// line adds a line of text after the tables so far.
func (t *table) line(format string, args ...any) {
	t.parts = append(t.parts, tablePart{text: fmt.Sprintf(format, args...)})
}

func (t *table) write(w io.Writer) error {
	var b strings.Builder
	prevRows := false
	for i, p := range t.parts {
		switch {
		case p.rows != nil:
			if i > 0 && b.Len() > 0 {
				b.WriteByte('\n')
			}
			writeBlock(&b, p.rows)
			prevRows = true
		case p.text != "":
			if prevRows {
				b.WriteByte('\n')
			}
			b.WriteString(p.text)
			b.WriteByte('\n')
			prevRows = false
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeBlock(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide and full-width characters, none for combining marks.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), r == '\u200b':
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || // Hangul Jamo
		(r >= 0x2e80 && r <= 0x303e) || // CJK radicals, punctuation
		(r >= 0x3041 && r <= 0x33ff) || // kana, CJK symbols
		(r >= 0x3400 && r <= 0x4dbf) || // CJK extension A
		(r >= 0x4e00 && r <= 0x9fff) || // CJK unified ideographs
		(r >= 0xa000 && r <= 0xa4cf) || // Yi
		(r >= 0xac00 && r <= 0xd7a3) || // Hangul syllables
		(r >= 0xf900 && r <= 0xfaff) || // CJK compatibility ideographs
		(r >= 0xfe30 && r <= 0xfe4f) || // CJK compatibility forms
		(r >= 0xff00 && r <= 0xff60) || // full-width forms
		(r >= 0xffe0 && r <= 0xffe6) ||
		(r >= 0x20000 && r <= 0x3fffd))
}

// cst is China Standard Time, the registry's calendar.
var cst = time.FixedZone("CST", 8*60*60)

func stamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().In(cst).Format("2006-01-02 15:04")
}

func status(s registryv1.DesignationStatus) string {
	if s == registryv1.DesignationStatus_DESIGNATION_STATUS_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(s.String(), "DESIGNATION_STATUS_")
}

func tier(t registryv1.CompetitionTier) string {
	if t == registryv1.CompetitionTier_COMPETITION_TIER_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "COMPETITION_TIER_"))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func num[T ~int32 | ~int64](n T) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func list(s []string) string { return strings.Join(s, ", ") }
