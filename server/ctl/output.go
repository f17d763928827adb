package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
)

var ansiRE = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)

// Clean strips ANSI escape sequences and control characters: device data
// is hostile and must not drive the technician's terminal.
func Clean(s string) string {
	s = ansiRE.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// Table writes rows under a header with every cell cleaned.
func Table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		c := make([]string, len(r))
		for i, v := range r {
			c[i] = Clean(v)
		}
		fmt.Fprintln(tw, strings.Join(c, "\t"))
	}
	tw.Flush()
}

// JSON pretty-prints v.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printMaps prints records as a table of the given keys (or JSON).
func (a *App) printMaps(recs []map[string]any, header, keys []string) error {
	return a.print(recs, header, func() [][]string {
		rows := make([][]string, 0, len(recs))
		for _, r := range recs {
			row := make([]string, len(keys))
			for i, k := range keys {
				row[i] = str(r[k])
			}
			rows = append(rows, row)
		}
		return rows
	})
}
