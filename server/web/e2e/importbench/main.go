// Command importbench measures the contacts CSV import of a running
// steward-server through its API: a file of --rows contacts is previewed,
// imported, and imported again (which must change nothing); it prints the
// time of each step and the growth of the server's resident memory (read
// from /proc/PID/status), then the median time of contacts searches on a
// client with many contacts. It prints figures; it does not judge them.
//
//	importbench --url https://127.0.0.1:8443 --token TOKEN --ca-fingerprint PIN --pid PID [--rows 10000] [--search-client ID]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/tlspin"
)

type bench struct {
	url, token string
	hc         *http.Client
}

func (b *bench) call(method, path string, body, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := b.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	if resp.StatusCode/100 != 2 {
		return took, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return took, json.Unmarshal(data, out)
	}
	return took, nil
}

// rss reads a process's resident and peak resident memory, in MiB.
func rss(pid int) (cur, peak float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, -1
	}
	for _, l := range strings.Split(string(data), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(l, "VmRSS: %f kB", &kb); err == nil {
			cur = kb / 1024
		}
		if _, err := fmt.Sscanf(l, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return cur, peak
}

// contactsFile makes a CSV of n contacts with UK numbers.
func contactsFile(n int) string {
	var b strings.Builder
	b.WriteString("First Name,Last Name,E-mail Address,Business Phone,Mobile Phone,Job Title\n")
	for i := range n {
		fmt.Fprintf(&b, "Person,Number %d,import%06d@bench.example,+44 20 7946 %04d,+44 7911 %06d,Engineer %d\n", i, i, i%10000, i%1000000, i%50)
	}
	return b.String()
}

func median(xs []time.Duration) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func main() {
	var b bench
	var fp, searchClient string
	var pid, rows int
	flag.StringVar(&b.url, "url", "", "server URL")
	flag.StringVar(&b.token, "token", "", "an admin API token")
	flag.StringVar(&fp, "ca-fingerprint", "", "the server's pin (steward-server ca-fingerprint)")
	flag.IntVar(&pid, "pid", 0, "the server's process ID, for its memory")
	flag.IntVar(&rows, "rows", 10000, "contacts in the imported file")
	flag.StringVar(&searchClient, "search-client", "", "a client with many contacts to search (\"\" = the imported one)")
	flag.Parse()
	if err := run(&b, fp, pid, rows, searchClient); err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}

func run(b *bench, fp string, pid, rows int, searchClient string) error {
	pins, err := tlspin.ParsePins(fp)
	if err != nil {
		return err
	}
	host, err := tlspin.HostOf(b.url)
	if err != nil {
		return err
	}
	b.hc = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{TLSClientConfig: tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: host})}}
	var c api.Client
	if _, err := b.call("POST", "/api/v1/clients", api.CreateClientRequest{Name: fmt.Sprintf("Import bench %d", time.Now().Unix())}, &c); err != nil {
		return err
	}
	base := "/api/v1/clients/" + url.PathEscape(c.ID) + "/contacts"
	file := contactsFile(rows)
	rss0, peak0 := rss(pid)
	var pv api.ContactImportPreview
	tPrev, err := b.call("POST", base+"/import/preview", api.ContactImportRequest{CSV: file}, &pv)
	if err != nil {
		return err
	}
	var r1, r2 api.ContactImportResult
	t1, err := b.call("POST", base+"/import", api.ContactImportRequest{CSV: file, Mapping: pv.Mapping}, &r1)
	if err != nil {
		return err
	}
	rss1, peak1 := rss(pid)
	t2, err := b.call("POST", base+"/import", api.ContactImportRequest{CSV: file, Mapping: pv.Mapping}, &r2)
	if err != nil {
		return err
	}
	rss2, peak2 := rss(pid)
	fmt.Printf("contacts CSV import of %d rows (%.1f MB) through the API:\n", rows, float64(len(file))/(1<<20))
	fmt.Printf("  preview %s; import %s (created %d, updated %d, unchanged %d, invalid %d)\n", ms(tPrev), ms(t1),
		r1.Created, r1.Updated, r1.Unchanged, r1.Invalid)
	fmt.Printf("  the same file again %s (created %d, updated %d, unchanged %d, invalid %d)\n", ms(t2), r2.Created, r2.Updated,
		r2.Unchanged, r2.Invalid)
	if pid > 0 {
		fmt.Printf("  server RSS %.0f MiB before, %.0f MiB after the import (%+.0f MiB), %.0f MiB after the second; peak RSS %.0f -> %.0f -> %.0f MiB\n",
			rss0, rss1, rss1-rss0, rss2, peak0, peak1, peak2)
	}
	if r1.Created != rows || r2.Unchanged != rows || r2.Created+r2.Updated != 0 {
		first := r1.Errors[:min(3, len(r1.Errors))]
		return fmt.Errorf("unexpected import results: created %d, then unchanged %d; first errors %+v", r1.Created, r2.Unchanged, first)
	}
	// Searches: the imported client (rows contacts), and another if given.
	for _, cl := range []string{c.ID, searchClient} {
		if cl == "" {
			continue
		}
		var list api.ContactList
		var ts []time.Duration
		for i, q := range []string{"number 12", "import0042", "zzz-none", "person", "engineer 7"} {
			t, err := b.call("GET", "/api/v1/clients/"+url.PathEscape(cl)+"/contacts?limit=50&search="+url.QueryEscape(q), nil, &list)
			if err != nil {
				return err
			}
			ts = append(ts, t)
			if i == 0 {
				_, _ = b.call("GET", "/api/v1/clients/"+url.PathEscape(cl)+"/contacts?limit=1", nil, &list)
			}
		}
		var all api.ContactList
		if _, err := b.call("GET", "/api/v1/clients/"+url.PathEscape(cl)+"/contacts?limit=1", nil, &all); err != nil {
			return err
		}
		fmt.Printf("  contacts search on a client of %d contacts (API round trip): median %s of 5 %v\n", all.Total, ms(median(ts)), ts)
	}
	return nil
}
