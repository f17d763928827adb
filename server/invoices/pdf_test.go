package invoices

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfStrings extracts the text a PDF shows: it inflates every content
// stream and returns the literal string operands of its Tj operators,
// unescaped, in order. A string can only end at an unescaped ")"; if a
// hostile text broke out of its string, its pieces would appear as
// operators instead, and the extracted text would differ.
func pdfStrings(t *testing.T, pdf []byte) []string {
	t.Helper()
	var out []string
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not a deflated stream (fonts are not embedded here)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tjStrings(string(raw))...)
	}
	return out
}

// tjStrings parses "(...) Tj" operands of a content stream.
func tjStrings(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		var b strings.Builder
		depth, j := 1, i+1
		for ; j < len(s) && depth > 0; j++ {
			switch c := s[j]; c {
			case '\\':
				j++
				switch s[j] {
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(s[j])
				}
			case '(':
				depth++
				b.WriteByte(c)
			case ')':
				depth--
				if depth > 0 {
					b.WriteByte(c)
				}
			default:
				b.WriteByte(c)
			}
		}
		if strings.HasPrefix(strings.TrimLeft(s[j:], " "), "Tj") {
			out = append(out, b.String())
		}
		i = j - 1
	}
	return out
}

// TestPDFHostileTextStaysText: a line, a client name and notes made of
// HTML, script and PDF operators are shown as those very characters, and
// nothing in the PDF runs script.
func TestPDFHostileTextStaysText(t *testing.T) {
	hostile := `<script>alert(1)</script> ) Tj ET BT /F1 99 Tf (pwned) Tj \ (`
	notes := `<img src=x onerror=alert(1)> /JavaScript /OpenAction`
	inv := store.Invoice{Number: "INV-000007", ClientName: `Bob "); DROP`, IssuerName: "Acme", Currency: "EUR",
		Date: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), Status: store.InvoiceSent, Notes: notes,
		Lines: []store.InvoiceLine{{Kind: store.LineManual, Description: hostile, QuantityMilli: 1000, UnitCents: 100}}}
	inv.Totals()
	b, err := RenderPDF(&inv)
	if err != nil {
		t.Fatal(err)
	}
	texts := pdfStrings(t, b)
	all := strings.Join(texts, "\n")
	for _, want := range []string{"INV-000007", `Bob "); DROP`, notes, "1.00 EUR"} {
		if !strings.Contains(all, want) {
			t.Errorf("the PDF does not show %q; it shows:\n%s", want, all)
		}
	}
	// The description may be wrapped over lines: joined, it is the text.
	if !strings.Contains(strings.Join(texts, " "), strings.Join(strings.Fields(hostile), " ")) &&
		!strings.Contains(strings.ReplaceAll(strings.Join(texts, ""), " ", ""), strings.ReplaceAll(hostile, " ", "")) {
		t.Errorf("the hostile line is not shown as text; the PDF shows:\n%s", all)
	}
	if bytes.Contains(b, []byte("/JavaScript")) && !strings.Contains(all, "/JavaScript") {
		t.Error("a /JavaScript name outside a string")
	}
	for _, s := range texts {
		if s == "pwned" {
			t.Error("the hostile text broke out of its string: (pwned) is a string of its own")
		}
	}
}

// TestPDFUnicode: 1252 letters stay, others lose their accents or become
// their Latin letter, the rest a visible "?".
func TestPDFUnicode(t *testing.T) {
	for in, want := range map[string]string{
		"Café Müller GmbH": "Caf\xe9 M\xfcller GmbH", "Łódź Wrocław": "L\xf3dz Wroclaw", "Ştefan Dvořák": "Stefan Dvor\xe1k",
		"株式会社": "????", "a\u202eb\u200bc": "abc", "x\ty": "x y", "€ 5": "\x80 5",
	} {
		if got := PDFText(in); got != want {
			t.Errorf("PDFText(%q) = %q, want %q", in, got, want)
		}
	}
	inv := store.Invoice{Number: "INV-1", ClientName: "Łódź Café", Currency: "PLN",
		Lines: []store.InvoiceLine{{Kind: store.LineManual, Description: "Usługa", QuantityMilli: 1000, UnitCents: 100}}}
	b, err := RenderPDF(&inv)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(pdfStrings(t, b), "\n")
	if !strings.Contains(all, "L\xf3dz Caf\xe9") || !strings.Contains(all, "Usluga") {
		t.Errorf("transliterated names missing:\n%q", all)
	}
}
