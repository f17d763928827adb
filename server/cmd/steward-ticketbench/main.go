// Command steward-ticketbench measures the service desk at scale: it
// seeds a fresh data folder with --tickets tickets over --clients
// clients (straight into the store, in bulk), starts bin/steward-server
// on it, and times through the API over TLS (127.0.0.1) one page of 50
// of the ticket list with several filters (median and p95 of --runs
// calls each), then the SLA recomputation of the --sla-open open tickets
// under an SLA when its business-hours calendar changes. It prints a
// table.
//
//	steward-ticketbench [--bin bin] [--tickets 200000] [--clients 2000] [--sla-open 10000] [--runs 40]
package main

import (
	"bytes"
	"encoding/json"
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

	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
	"github.com/steward-rmm/steward/tlspin"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding steward-server")
	n := flag.Int("tickets", 200000, "tickets to seed")
	clients := flag.Int("clients", 2000, "clients to seed")
	slaOpen := flag.Int("sla-open", 10000, "open tickets under the SLA whose calendar changes")
	runs := flag.Int("runs", 40, "calls per measured query")
	flag.Parse()
	if err := run(*bin, *n, *clients, *slaOpen, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "steward-ticketbench:", err)
		os.Exit(1)
	}
}

var words = []string{"printer", "vpn", "outlook", "password", "backup", "disk", "slow", "laptop", "wifi", "teams", "license",
	"server", "firewall", "phone", "scanner", "update", "crash", "share", "access", "email"}

// seed writes the clients, an SLA on a calendar and the tickets: about a
// fifth open or pending, the first slaOpen open ones under the SLA.
func seed(dir string, n, clients, slaOpen int) error {
	st, err := boltstore.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range clients {
		if err := st.CreateClient(store.Client{ID: fmt.Sprintf("c_bench%05d", i), Name: fmt.Sprintf("Client %05d", i)}); err != nil {
			return err
		}
	}
	week := []store.BusinessHours{}
	for d := 1; d <= 5; d++ {
		week = append(week, store.BusinessHours{Weekday: d, Start: 9 * 60, End: 17 * 60})
	}
	if err := st.PutSLACalendar(store.SLACalendar{ID: "cal_bench", Name: "Office", TimeZone: "Europe/Paris", Hours: week,
		Holidays: []string{"2026-12-25"}}); err != nil {
		return err
	}
	if err := st.PutSLA(store.SLA{ID: "sla_bench", Name: "Gold", CalendarID: "cal_bench", Targets: []store.SLATarget{
		{Priority: "low", FirstResponse: 480, Resolution: 4800}, {Priority: "medium", FirstResponse: 240, Resolution: 2400},
		{Priority: "high", FirstResponse: 60, Resolution: 480}, {Priority: "critical", FirstResponse: 15, Resolution: 120}}}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	batch := make([]store.Ticket, 0, 1000)
	underSLA := 0
	for i := range n {
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		status := store.TicketClosed
		switch r := rng.IntN(100); {
		case r < 15:
			status = store.TicketOpen
		case r < 20:
			status = store.TicketPending
		case r < 40:
			status = store.TicketResolved
		}
		t := store.Ticket{ID: fmt.Sprintf("tk_bench%07d", i), Title: words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))] + " issue",
			ClientID: fmt.Sprintf("c_bench%05d", rng.IntN(clients)), CreatedAt: at, ModifiedAt: at.Add(time.Duration(rng.IntN(600)) * time.Minute),
			TechnicianID: fmt.Sprintf("u_bench%02d", rng.IntN(20)), Priority: []string{"low", "medium", "high", "critical"}[rng.IntN(4)],
			Impact: "none", Type: "incident", Activity: "read", Status: status}
		if status == store.TicketOpen && underSLA < slaOpen {
			t.SLAID = "sla_bench"
			underSLA++
		}
		t.Clock = []store.TicketClockEvent{{At: at, Status: store.TicketOpen, Priority: t.Priority, SLAID: t.SLAID}}
		if status != store.TicketOpen {
			t.Clock = append(t.Clock, store.TicketClockEvent{At: at.Add(time.Hour), Status: status, Paused: status == store.TicketPending,
				Stopped: status != store.TicketPending, Priority: t.Priority, SLAID: t.SLAID})
		}
		batch = append(batch, t)
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.ImportTickets(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if underSLA < slaOpen {
		return fmt.Errorf("only %d open tickets to put under the SLA", underSLA)
	}
	return nil
}

func run(bin string, n, clients, slaOpen, runs int) error {
	dir, err := os.MkdirTemp("", "steward-ticketbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "server")
	t0 := time.Now()
	if err := seed(data, n, clients, slaOpen); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d tickets over %d clients in %.1f s\n", n, clients, time.Since(t0).Seconds())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(filepath.Join(bin, "steward-server"), "--data", data, "--listen", addr, "--log-level", "warn")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	var tok string
	for i := 0; i < 300 && tok == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(data, "admin-token"))
		tok = strings.TrimSpace(string(b))
	}
	pin, err := exec.Command(filepath.Join(bin, "steward-server"), "pin", "--data", data).Output()
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	pins, err := tlspin.ParsePins(strings.TrimSpace(string(pin)))
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: "127.0.0.1"})}}
	call := func(method, path string, body any, out any) error {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "https://"+addr+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return json.Unmarshal(b, out)
	}
	for i := 0; ; i++ {
		var ok struct{}
		if err = call("GET", "/api/v1/ticket-statuses", nil, &ok); err == nil || i > 100 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	type page struct {
		Tickets []struct{ Number int64 }
		Next    string
	}
	var first page
	if err := call("GET", "/api/v1/tickets", nil, &first); err != nil {
		return err
	}
	queries := []struct{ name, path string }{
		{"default view (open + pending)", "/api/v1/tickets"},
		{"next page (cursor)", "/api/v1/tickets?cursor=" + url.QueryEscape(first.Next)},
		{"priority high, one technician", "/api/v1/tickets?priority=high&technician=u_bench07"},
		{"one client's tab", fmt.Sprintf("/api/v1/clients/c_bench%05d/tickets", clients/2)},
		{"one client, every status", fmt.Sprintf("/api/v1/clients/c_bench%05d/tickets?status=all", clients/2)},
		{"title search \"printer\"", "/api/v1/tickets?q=printer"},
		{"number search, every status", fmt.Sprintf("/api/v1/tickets?status=all&q=%%23%d", n/2)},
		{"by number, ascending", "/api/v1/tickets?sort=number&order=asc"},
	}
	fmt.Printf("\n%-34s %8s %9s %9s\n", "ticket list query (page of 50)", "results", "median", "p95")
	for _, q := range queries {
		var ds []time.Duration
		var got page
		for range runs {
			s := time.Now()
			if err := call("GET", q.path, nil, &got); err != nil {
				return err
			}
			ds = append(ds, time.Since(s))
		}
		slices.Sort(ds)
		fmt.Printf("%-34s %8d %7.1fms %7.1fms\n", q.name, len(got.Tickets), ms(ds[len(ds)/2]), ms(ds[(len(ds)*95+99)/100-1]))
	}
	var ch struct{ Recomputed int }
	hours := []map[string]any{}
	for d := 1; d <= 5; d++ {
		hours = append(hours, map[string]any{"weekday": d, "start": "08:00", "end": "18:00"})
	}
	s := time.Now()
	if err := call("PUT", "/api/v1/sla-calendars/cal_bench", map[string]any{"name": "Office", "time_zone": "Europe/Paris",
		"hours": hours, "holidays": []string{"2026-12-25", "2027-01-01"}}, &ch); err != nil {
		return err
	}
	el := time.Since(s)
	fmt.Printf("\nSLA recomputation after a calendar change: %d open tickets in %.0f ms (%.1f µs each, through the API)\n",
		ch.Recomputed, ms(el), float64(el.Microseconds())/float64(max(ch.Recomputed, 1)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
