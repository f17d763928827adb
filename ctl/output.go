package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Table writes rows under a header with every cell cleaned: control and
// bidirectional characters show as escapes, so a cell cannot drive the
// terminal, break the table or reverse the text around it.
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
