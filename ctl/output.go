package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
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

// printRecords prints records as a table, one row per record (or JSON).
func printRecords[T any](a *App, recs []T, header []string, row func(T) []string) error {
	return a.print(recs, header, func() [][]string {
		rows := make([][]string, 0, len(recs))
		for _, r := range recs {
			rows = append(rows, row(r))
		}
		return rows
	})
}

// tstr shows a time as the server sent it (RFC 3339), a zero time as "".
func tstr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// omitFalse shows true as "true" and false as "" (a field the server
// leaves out when false).
func omitFalse(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// jsonList shows a list as JSON, an empty one as "".
func jsonList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	b, _ := json.Marshal(l)
	return string(b)
}
