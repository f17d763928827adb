package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/steward-rmm/steward/api"
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

// clock is the time relative times are measured from (tests fix it).
var clock = time.Now

// tstr shows a time to the second in UTC (people need no nanoseconds), a
// zero time as "".
func tstr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// tparse is tstr of an RFC 3339 string; anything else shows unchanged.
func tparse(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return tstr(t)
}

// tago is tstr with how long ago (or how far ahead) it is: "... (5m ago)".
func tago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := clock().Sub(t)
	switch {
	case d >= 0:
		return tstr(t) + " (" + roughDuration(d) + " ago)"
	default:
		return tstr(t) + " (in " + roughDuration(-d) + ")"
	}
}

// roughDuration is d in its largest sensible unit: 42s, 5m, 3h, 2d.
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// omitFalse shows true as "true" and false as "" (a field the server
// leaves out when false).
func omitFalse(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// listText shows a list as comma-separated text, an empty one as "".
func listText(l []string) string { return strings.Join(l, ", ") }

// gb shows a byte count in gigabytes (GiB, as operating systems report
// memory and disks).
func gb(n uint64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// macText shows a MAC the server keeps as bare hex (525400123456) with
// colons; anything else unchanged.
func macText(m string) string {
	if len(m) != 12 {
		return m
	}
	for _, c := range m {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return m
		}
	}
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = m[2*i : 2*i+2]
	}
	return strings.Join(parts, ":")
}

// macsText shows MACs with separators, comma-separated.
func macsText(l []string) string {
	out := make([]string, len(l))
	for i, m := range l {
		out[i] = macText(m)
	}
	return listText(out)
}

// statesText shows a job's run counts per state as words: "1 failed, 2
// succeeded".
func statesText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// detailText shows an audit detail as key=value pairs in key order, a
// value with spaces or quotes quoted; text stays text (no JSON escaping of
// < > &; control characters are escaped by Table).
func detailText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		if v == "" || strings.ContainsAny(v, " \"=") {
			v = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

// clientName shows a client ID as its name, from one GET /api/v1/clients
// per invocation; an ID the caller cannot resolve (or a failed lookup)
// shows as the ID.
func (a *App) clientName(id string) string {
	if a.clients == nil {
		a.clients = map[string]string{}
		var out []api.Client
		if err := a.client().Do("GET", "/api/v1/clients", nil, &out); err == nil {
			for _, c := range out {
				a.clients[c.ID] = c.Name
			}
		}
	}
	if n, ok := a.clients[id]; ok {
		return n
	}
	return id
}
