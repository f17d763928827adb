package main

// The automation section's count, from the stopped server's store, and
// its table.

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// count is what the server's records say of the measured occurrences.
type count struct {
	Devices int `json:"devices"`
	Jobs    int `json:"jobs"`
	// Started is the scheduler's "started" log records in the measured
	// occurrences; Outcomes every record's outcome.
	Started  int            `json:"runs_started"`
	Outcomes map[string]int `json:"log_outcomes"`
	// Device-occurrences by how many runs started: 0 (skipped), 1, 2+.
	Ran0     int `json:"device_occurrences_ran_0"`
	Ran1     int `json:"device_occurrences_ran_1"`
	Ran2Plus int `json:"device_occurrences_ran_2_or_more"`
	// The runs' end states (succeeded, and the rest by state).
	Succeeded    int            `json:"runs_succeeded"`
	NotSucceeded map[string]int `json:"runs_not_succeeded,omitempty"`
	// Offsets from the occurrence (its anchor + k*every) of the
	// scheduler's starts (job created) and the agents' (run started),
	// and the scheduler's lateness against each device's due time.
	StartOffset pctl `json:"scheduler_start_offset_s"`
	AgentOffset pctl `json:"agent_start_offset_s"`
	Lateness    pctl `json:"scheduler_lateness_s"`
	// Histogram counts scheduler starts by tenth of the spread (a minute
	// for ten minutes' spread); Late those after it.
	BinSeconds float64 `json:"histogram_bin_seconds"`
	Histogram  []int   `json:"start_histogram"`
	Late       int     `json:"starts_after_the_spread"`
}

// pctl is a distribution's min, median, 99th percentile and max.
type pctl struct {
	Min, P50, P99, Max float64
}

func pctlOf(v []float64) pctl {
	if len(v) == 0 {
		return pctl{}
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return pctl{Min: v[0], P50: at(0.5), P99: at(0.99), Max: v[len(v)-1]}
}

// countAutomation reads the stopped server's store in data: the
// scheduler's log of profile, each started run, and the devices.
func countAutomation(data, profile string, anchor time.Time, every, spread time.Duration, rounds int) (c count, err error) {
	db, err := boltstore.Open(data)
	if err != nil {
		return c, fmt.Errorf("open the server's store: %w", err)
	}
	defer db.Close()
	devs, err := db.Devices()
	if err != nil {
		return c, err
	}
	logs, err := db.AutoRuns(store.AutoRunQuery{ProfileID: profile})
	if err != nil {
		return c, err
	}
	c.Devices, c.Outcomes, c.NotSucceeded = len(devs), map[string]int{}, map[string]int{}
	c.BinSeconds, c.Histogram = (spread / 10).Seconds(), make([]int, 10)
	per := map[string][]int{} // device -> starts per occurrence
	jobs := map[string]bool{}
	var offs, agent, late []float64
	for _, l := range logs {
		k := int(l.Due.Sub(anchor) / every)
		if l.Due.Before(anchor) || k >= rounds {
			continue
		}
		c.Outcomes[l.Outcome]++
		if l.Outcome != store.AutoStarted {
			continue
		}
		c.Started++
		if per[l.DeviceID] == nil {
			per[l.DeviceID] = make([]int, rounds)
		}
		per[l.DeviceID][k]++
		jobs[l.JobID] = true
		base := anchor.Add(time.Duration(k) * every)
		off := l.At.Sub(base)
		offs = append(offs, off.Seconds())
		late = append(late, l.At.Sub(l.Due).Seconds())
		if b := int(off * 10 / spread); b >= 0 && b < 10 {
			c.Histogram[b]++
		} else {
			c.Late++
		}
		run, err := db.Run(l.RunID)
		switch {
		case err != nil:
			c.NotSucceeded["missing"]++
		case run.State == protocol.StateSucceeded:
			c.Succeeded++
		default:
			c.NotSucceeded[run.State]++
		}
		if err == nil && !run.StartedAt.IsZero() {
			agent = append(agent, run.StartedAt.Sub(base).Seconds())
		}
	}
	c.Jobs = len(jobs)
	for _, d := range devs {
		for k := range rounds {
			switch n := per[d.ID]; {
			case n == nil || n[k] == 0:
				c.Ran0++
			case n[k] == 1:
				c.Ran1++
			default:
				c.Ran2Plus++
			}
		}
	}
	c.StartOffset, c.AgentOffset, c.Lateness = pctlOf(offs), pctlOf(agent), pctlOf(late)
	return c, nil
}

// maxBucket is the upper bound of a histogram's lowest bucket holding
// every observation (+Inf as -1): the longest observation, roughly.
func (s *server) maxBucket(name string) float64 {
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var total float64
	type bucket struct{ le, n float64 }
	var bs []bucket
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+"_count "); ok {
			total, _ = strconv.ParseFloat(v, 64)
		}
		rest, ok := strings.CutPrefix(line, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, n, _ := strings.Cut(rest, `"} `)
		b := bucket{le: -1}
		if le != "+Inf" {
			b.le, _ = strconv.ParseFloat(le, 64)
		}
		b.n, _ = strconv.ParseFloat(n, 64)
		bs = append(bs, b)
	}
	for _, b := range bs {
		if b.n >= total {
			return b.le
		}
	}
	return 0
}

// printAutomation prints the section's figures as tables.
func printAutomation(w io.Writer, r autoResult) {
	if r.Error != "" {
		fmt.Fprintln(w, "automation: error:", r.Error)
		return
	}
	fmt.Fprintf(w, "\nautomation: %d agents (%d simulator processes), a task every %s spread over %s, %d occurrence(s), %.0f s watched\n",
		r.Agents, r.Processes, r.Every, r.Spread, r.Rounds, r.WindowSeconds)
	fmt.Fprintf(w, "| runs started | jobs | device-occurrences ran 0 / 1 / 2+ | runs succeeded | server CPU (window; peak 10 s) | scheduler ticks (time) | RSS before / peak / after | heap before / peak / after |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| %d | %d | %d / %d / %d | %d | %.1f s = %.2f %% of a core; %.1f %% | %.0f (%.2f s, longest < %s) | %.0f / %.0f / %.0f MB | %.0f / %.0f / %.0f MB |\n",
		r.Started, r.Jobs, r.Ran0, r.Ran1, r.Ran2Plus, r.Succeeded, r.CPUSeconds, r.RunCPU, r.PeakCPU, r.Ticks, r.TickSeconds,
		bucketText(r.TickMaxBucketS), r.RSSBeforeMB, r.RSSPeakMB, r.RSSAfterMB, r.HeapBefore, r.HeapPeak, r.HeapAfter)
	fmt.Fprintf(w, "  idle CPU without the task %.2f %% of a core; scheduler metrics: started %.0f, skipped %.0f, failed %.0f; log outcomes %v",
		r.IdleCPU, r.MetricStarted, r.MetricSkipped, r.MetricFailed, r.Outcomes)
	fmt.Fprintf(w, "; one device's log read %.1f ms; store %.1f MB -> %.1f MB", r.DeviceLogMS, r.DBBeforeMB, r.DBAfterMB)
	if len(r.NotSucceeded) > 0 {
		fmt.Fprintf(w, "; runs not succeeded %v", r.NotSucceeded)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| start offset from the occurrence | min | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n")
	for _, row := range []struct {
		name string
		p    pctl
	}{{"scheduler (job created)", r.StartOffset}, {"agent (run started)", r.AgentOffset}, {"scheduler late vs the device's due time", r.Lateness}} {
		fmt.Fprintf(w, "| %s | %.2f s | %.2f s | %.2f s | %.2f s |\n", row.name, row.p.Min, row.p.P50, row.p.P99, row.p.Max)
	}
	fmt.Fprintf(w, "| starts after the occurrence | starts |\n|---|---:|\n")
	for i, n := range r.Histogram {
		fmt.Fprintf(w, "| %s – %s | %d |\n", clock(float64(i)*r.BinSeconds), clock(float64(i+1)*r.BinSeconds), n)
	}
	fmt.Fprintf(w, "| after the spread | %d |\n", r.Late)
}

// clock shows seconds as m:ss.
func clock(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func bucketText(le float64) string {
	if le < 0 {
		return "+Inf"
	}
	return time.Duration(le * float64(time.Second)).String()
}
