package invoices

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// translit holds letters that no accent-stripping turns into Latin.
var translit = map[rune]string{
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'ĸ': "k", 'Ŀ': "L", 'ŀ': "l",
	'Ŋ': "N", 'ŋ': "n", 'Ŧ': "T", 'ŧ': "t", 'ẞ': "SS", '‐': "-", '‑': "-", '−': "-", '€': "EUR",
}

// PDFText turns text into the Windows-1252 bytes (a Go string of one
// byte per character, not UTF-8) the PDF's standard fonts
// show. Characters 1252 has stay as they are (é, ß, ø, €); others lose
// their accents (ő -> o, ś -> s) or take a Latin letter (ł -> l); what has
// no Latin form (CJK, Cyrillic, emoji) becomes "?", so a name is shown
// clearly transliterated rather than as wrong glyphs. Control characters
// become spaces.
func PDFText(s string) string {
	enc := charmap.Windows1252
	var b bytes.Buffer
	for _, r := range s {
		if r < 0x20 || r == 0x7f || httpx.IsBidiControl(r) || unicode.Is(unicode.Cf, r) {
			if r == '\n' {
				b.WriteByte('\n')
			} else if !unicode.Is(unicode.Cf, r) && !httpx.IsBidiControl(r) {
				b.WriteByte(' ')
			}
			continue
		}
		if c, ok := enc.EncodeRune(r); ok {
			b.WriteByte(c)
			continue
		}
		if t, ok := translit[r]; ok {
			b.WriteString(t)
			continue
		}
		var base []byte
		ok := true
		for _, d := range norm.NFKD.String(string(r)) {
			if unicode.Is(unicode.Mn, d) {
				continue
			}
			c, yes := enc.EncodeRune(d)
			if !yes {
				ok = false
				break
			}
			base = append(base, c)
		}
		if ok && len(base) > 0 {
			b.Write(base)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// cp is PDFText: fpdf's core fonts take one byte per glyph.
func cp(s string) string { return PDFText(s) }

// RenderPDF renders an invoice as an A4 PDF with the standard Helvetica
// font. Every text is drawn as a string operand of the content stream
// (fpdf escapes parentheses and backslashes), so text that looks like
// HTML, script or PDF operators is shown as those characters.
func RenderPDF(inv *store.Invoice) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Invoice "+inv.Number, true)
	pdf.SetCreator("Steward", true)
	pdf.SetCreationDate(inv.CreatedAt)
	pdf.SetModificationDate(inv.UpdatedAt)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, cp(fmt.Sprintf("%s - page %d/{nb}", inv.Number, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	left := 15.0
	pdf.SetFont("Helvetica", "B", 14)
	pdf.MultiCell(110, 7, cp(orDash(inv.IssuerName)), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	if inv.IssuerAddress != "" {
		pdf.MultiCell(110, 4.5, cp(inv.IssuerAddress), "", "L", false)
	}
	pdf.SetXY(130, 15)
	pdf.SetFont("Helvetica", "B", 18)
	title := "INVOICE"
	if inv.Status == store.InvoiceVoid {
		title = "INVOICE (VOID)"
	}
	pdf.CellFormat(65, 9, title, "", 2, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, kv := range [][2]string{{"Number", inv.Number}, {"Date", date(inv.Date)}, {"Due", date(inv.DueDate)},
		{"Period", period(inv)}, {"Status", inv.Status}} {
		if kv[1] == "" {
			continue
		}
		pdf.SetX(130)
		pdf.CellFormat(65, 5.5, cp(kv[0]+": "+kv[1]), "", 2, "R", false, 0, "")
	}
	pdf.SetY(max(pdf.GetY(), 50) + 6)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 5, "Bill to", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 5.5, cp(inv.ClientName), "", "L", false)
	if inv.Batch != "" {
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(0, 5, cp("Batch: "+inv.Batch), "", "L", false)
	}
	pdf.Ln(4)

	cols := []struct {
		name  string
		w     float64
		align string
	}{{"Description", 88, "L"}, {"Qty", 18, "R"}, {"Unit price", 28, "R"}, {"Tax", 16, "R"}, {"Amount", 30, "R"}}
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(235, 235, 235)
	for _, c := range cols {
		pdf.CellFormat(c.w, 7, c.name, "B", 0, c.align, true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range inv.Lines {
		cells := []string{"", qty(l.QuantityMilli), Money(l.UnitCents, ""), rate(l.TaxBP), Money(l.AmountCents, "")}
		lines := pdf.SplitText(cp(l.Description), cols[0].w-2)
		h := 5 * float64(max(1, len(lines)))
		if pdf.GetY()+h > 270 {
			pdf.AddPage()
		}
		x, y := pdf.GetX(), pdf.GetY()
		pdf.MultiCell(cols[0].w, 5, strings.Join(lines, "\n"), "", "L", false)
		pdf.SetXY(x+cols[0].w, y)
		for i := 1; i < len(cols); i++ {
			pdf.CellFormat(cols[i].w, 5, cp(strings.TrimSpace(cells[i])), "", 0, cols[i].align, false, 0, "")
		}
		pdf.SetXY(x, y+h+1)
	}
	pdf.Ln(2)
	for _, t := range [][2]string{{"Subtotal", Money(inv.SubtotalCents, inv.Currency)}, {"Tax", Money(inv.TaxCents, inv.Currency)},
		{"Total", Money(inv.TotalCents, inv.Currency)}} {
		if t[0] == "Total" {
			pdf.SetFont("Helvetica", "B", 11)
		}
		pdf.SetX(left + 100)
		pdf.CellFormat(50, 6, t[0], "", 0, "R", false, 0, "")
		pdf.CellFormat(30, 6, cp(t[1]), "", 1, "R", false, 0, "")
	}
	if inv.Notes != "" {
		pdf.Ln(6)
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(0, 4.5, cp(inv.Notes), "", "L", false)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render invoice %s: %w", inv.Number, err)
	}
	return buf.Bytes(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func period(inv *store.Invoice) string {
	if inv.PeriodFrom.IsZero() {
		return ""
	}
	return date(inv.PeriodFrom) + " to " + date(inv.PeriodTo.AddDate(0, 0, -1))
}

func qty(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

func rate(b int64) string {
	return strconv.FormatFloat(float64(b)/100, 'f', -1, 64) + "%"
}

// writePDF answers an invoice's PDF as a download.
func writePDF(rw http.ResponseWriter, inv *store.Invoice) {
	b, err := RenderPDF(inv)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, inv.Number)
	rw.Header().Set("Content-Type", "application/pdf")
	rw.Header().Set("Content-Disposition", `attachment; filename="invoice-`+name+`.pdf"`)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(b)
}

func (w *Wing) pdf(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	inv, ok := w.find(p, r.PathValue("invoice"))
	if !ok {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	writePDF(rw, &inv)
}
