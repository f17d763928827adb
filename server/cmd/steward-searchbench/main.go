// Command steward-searchbench measures the help-desk search: it seeds a
// fresh data folder through the store (by default 2,000 clients with
// domains and phones, 100,000 contacts with e-mail, US phone and SIP
// address, 20,000 devices with a MAC, an IP and a serial in their
// inventory), starts bin/steward-server on it, and times GET
// /api/v1/search over TLS on 127.0.0.1 for each kind of key, printing the
// median, p95 and worst per kind (after one untimed pass). Every query's expected record must be
// among the results: a miss is counted and fails the run.
//
//	steward-searchbench [--bin bin] [--clients 2000] [--contacts 100000] [--devices 20000] [--queries 200]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/tlspin"
)

type config struct {
	bin                        string
	clients, contacts, devices int
	queries                    int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "bin", "directory holding steward-server")
	flag.IntVar(&cfg.clients, "clients", 2000, "clients to seed")
	flag.IntVar(&cfg.contacts, "contacts", 100000, "contacts to seed")
	flag.IntVar(&cfg.devices, "devices", 20000, "devices to seed")
	flag.IntVar(&cfg.queries, "queries", 200, "queries per kind of key")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "steward-searchbench:", err)
		os.Exit(1)
	}
}

// query is one timed search and what it must find.
type query struct {
	kind, q string
	want    string // ID that must be among the results
}

func run(cfg config) error {
	if cfg.clients < 2 || cfg.contacts < 1 || cfg.devices < 1 || cfg.queries < 1 {
		return errors.New("need --clients >= 2 and --contacts, --devices, --queries >= 1")
	}
	dir, err := os.MkdirTemp("", "steward-searchbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "server")
	start := time.Now()
	if err := seed(data, cfg); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d clients, %d contacts, %d devices through the store in %.1f s\n", cfg.clients, cfg.contacts, cfg.devices,
		time.Since(start).Seconds())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(filepath.Join(cfg.bin, "steward-server"), "--data", data, "--listen", addr,
		"--default-phone-region", "US", "--log-level", "warn")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	var tok string
	for i := 0; i < 600 && tok == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(data, "admin-token"))
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		return errors.New("the server wrote no admin token")
	}
	pin, err := exec.Command(filepath.Join(cfg.bin, "steward-server"), "pin", "--data", data).Output()
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	pins, err := tlspin.ParsePins(strings.TrimSpace(string(pin)))
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: "127.0.0.1"})}}
	search := func(q string) (api.SearchResults, time.Duration, error) {
		var res api.SearchResults
		req, _ := http.NewRequest("GET", "https://"+addr+"/api/v1/search?q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return res, 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		el := time.Since(t0)
		if err != nil {
			return res, 0, err
		}
		if resp.StatusCode != 200 {
			return res, 0, fmt.Errorf("search %q: %d %s", q, resp.StatusCode, b)
		}
		return res, el, json.Unmarshal(b, &res)
	}
	for i := 0; ; i++ { // until the server answers
		if _, _, err = search("warm up"); err == nil || i > 300 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	qs := queries(cfg)
	type row struct {
		kind         string
		times        []time.Duration
		misses, hits int
	}
	var rows []*row
	byKind := map[string]*row{}
	for _, q := range qs {
		if byKind[q.kind] == nil {
			byKind[q.kind] = &row{kind: q.kind}
			rows = append(rows, byKind[q.kind])
		}
	}
	// One untimed pass (the store's pages into memory, the server's first
	// answers), then the timed one in a shuffled order, so that a burst of
	// noise on the machine does not land on one kind.
	for _, q := range qs {
		if _, _, err := search(q.q); err != nil {
			return err
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	for _, q := range qs {
		r := byKind[q.kind]
		res, el, err := search(q.q)
		if err != nil {
			return err
		}
		r.times = append(r.times, el)
		if found(res, q.want) {
			r.hits++
		} else {
			r.misses++
			if r.misses <= 3 {
				fmt.Fprintf(os.Stderr, "miss: %s %q did not find %s (read as %v)\n", q.kind, q.q, q.want, res.Read)
			}
		}
	}
	fmt.Printf("\nGET /api/v1/search over TLS on 127.0.0.1, %d clients, %d contacts, %d devices, %d queries per kind\n",
		cfg.clients, cfg.contacts, cfg.devices, cfg.queries)
	fmt.Printf("%-26s %9s %9s %9s %6s\n", "kind of key", "median", "p95", "max", "found")
	misses := 0
	for _, r := range rows {
		slices.Sort(r.times)
		ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
		fmt.Printf("%-26s %9s %9s %9s %3d/%d\n", r.kind, ms(r.times[len(r.times)/2]), ms(r.times[(len(r.times)*95+99)/100-1]),
			ms(r.times[len(r.times)-1]), r.hits, r.hits+r.misses)
		misses += r.misses
	}
	if misses > 0 {
		return fmt.Errorf("%d queries did not find their record", misses)
	}
	return nil
}

func found(res api.SearchResults, id string) bool {
	for _, c := range res.Clients {
		if c.ID == id {
			return true
		}
	}
	for _, c := range res.Contacts {
		if c.ID == id {
			return true
		}
	}
	for _, d := range res.Devices {
		if d.ID == id {
			return true
		}
	}
	return false
}
