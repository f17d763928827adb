package portal

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// activityPages follows the portal activity's pages (?before=) to the end
// and returns the record numbers shown, and the number of pages.
func activityPages(t testing.TB, r *rig, p *httpx.Principal) (seqs []uint64, pages int) {
	before := uint64(0)
	for pages = 1; ; pages++ {
		path := "/api/v1/portal/activity"
		if before != 0 {
			path += "?before=" + strconv.FormatUint(before, 10)
		}
		rec := r.call(p, "GET", "/api/v1/portal/activity", path, nil)
		var page api.PortalActivityPage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || err != nil {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		for _, it := range page.Items {
			seqs = append(seqs, it.Seq)
		}
		if page.Before == 0 {
			return seqs, pages
		}
		before = page.Before
	}
}

// TestActivityPaging: the customer's activity pages, newest first, hold
// every event of their client once (also those naming several clients)
// and none of another client's or of the hidden housekeeping actions,
// with the hidden ones spread so that a page needs more than one chunk
// of the store's client index.
func TestActivityPaging(t *testing.T) {
	r := newRig(t, false)
	var want []uint64
	for i := 1; i <= 700; i++ {
		e := store.AuditEvent{At: time.Now(), Actor: "tina", Action: "job.run", Client: "c_alpha"}
		switch {
		case i%7 == 0:
			e.Client = "c_bravo"
		case i%11 == 0:
			e.Client = "c_bravo,c_alpha"
		case i > 300 && i < 600:
			e.Action = "auth.login" // hidden: a long run of them
		}
		got, err := r.st.AppendAudit(e)
		if err != nil {
			t.Fatal(err)
		}
		if e.Client != "c_bravo" && e.Action != "auth.login" {
			want = append(want, got.Seq)
		}
	}
	slices.Reverse(want)
	cust := &httpx.Principal{Name: "cust", Portal: &httpx.PortalIdentity{ClientID: "c_alpha"}}
	got, pages := activityPages(t, r, cust)
	if !slices.Equal(got, want) || pages != (len(want)+99)/100 {
		t.Fatalf("activity (%d pages): %d events %v\nwant %d %v", pages, len(got), got, len(want), want)
	}
	if rec := r.call(cust, "GET", "/api/v1/portal/activity", "/api/v1/portal/activity?before=x", nil); rec.Code != 400 {
		t.Errorf("before=x: %d", rec.Code)
	}
}

// TestActivityBench measures the portal activity's first and a middle
// page with STEWARD_AUDIT_BENCH audit records in the log (e.g. 200000),
// a tenth of them of the customer's client, on the real bbolt store. It
// prints the figures and asserts only what the pages hold, never a time.
// Skipped unless the variable is set.
func TestActivityBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STEWARD_AUDIT_BENCH"))
	if n <= 0 {
		t.Skip("set STEWARD_AUDIT_BENCH=<records> to measure")
	}
	r := newRig(t, false)
	start := time.Now()
	// AppendAudit batches concurrent appends into shared commits.
	var wg sync.WaitGroup
	const workers = 256
	for g := range workers {
		wg.Go(func() {
			for i := g; i < n; i += workers {
				e := store.AuditEvent{At: time.Now(), Actor: "tina", Action: "job.run", Client: fmt.Sprintf("c_%d", i%10)}
				if i%10 == 0 {
					e.Client = "c_alpha"
				}
				if _, err := r.st.AppendAudit(e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fmt.Printf("\nPortal activity (%d audit records, %d of the client; setup %s)\n", n, n/10, time.Since(start).Round(time.Millisecond))
	cust := &httpx.Principal{Name: "cust", Portal: &httpx.PortalIdentity{ClientID: "c_alpha"}}
	timed := func(name, path string, times int) {
		var ds []time.Duration
		for range times {
			s := time.Now()
			rec := r.call(cust, "GET", "/api/v1/portal/activity", path, nil)
			ds = append(ds, time.Since(s))
			var page api.PortalActivityPage
			if json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || len(page.Items) != 100 {
				t.Fatalf("%s: %d, %d items", path, rec.Code, len(page.Items))
			}
		}
		slices.Sort(ds)
		fmt.Printf("  %-45s median %s, p95 %s\n", name, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*95/100].Round(time.Microsecond))
	}
	timed("first page of 100 (20 runs)", "/api/v1/portal/activity", 20)
	timed("a page in the middle (20 runs)", fmt.Sprintf("/api/v1/portal/activity?before=%d", n/2), 20)
}
