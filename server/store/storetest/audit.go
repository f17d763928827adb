package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

var testAuditKey = []byte("0123456789abcdef0123456789abcdef")

// Audit checks gapless numbering under concurrent appends, ordering, paging and
// filters, and a chain that stays continuous and verifiable across a
// reopen, keyed from the number SetAuditKey first returned.
func Audit(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"ConcurrentAppends":    testAuditConcurrent,
		"OrderPagingFilters":   testAuditPaging,
		"ContinuityAcrossOpen": testAuditReopen,
	})
}

func testAuditConcurrent(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.SetAuditKey(testAuditKey); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := db.AppendAudit(store.AuditEvent{At: time.Now(), Actor: "a", Action: fmt.Sprintf("act.%d", i)}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	evs, err := db.Audit(store.AuditQuery{})
	if err != nil || len(evs) != 50 {
		t.Fatalf("%d events %v", len(evs), err)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has number %d", i, e.Seq)
		}
	}
	if n, err := db.VerifyAudit(store.AuditAnchors{}); err != nil || n != 50 {
		t.Fatalf("verify: %d %v", n, err)
	}
}

func testAuditPaging(t *testing.T, f Factory) {
	db := f.fresh(t)
	for i := 1; i <= 6; i++ {
		e := store.AuditEvent{At: time.Now(), Actor: "alice", Action: "job.create", Client: "c1,c2"}
		if i%2 == 0 {
			e.Actor, e.Action, e.Client = "bob", "user.create", "c3"
		}
		got, err := db.AppendAudit(e)
		if err != nil || got.Seq != uint64(i) || got.Hash == "" {
			t.Fatalf("append %d: %+v %v", i, got, err)
		}
	}
	var seqs []uint64
	after := uint64(0)
	for {
		page, err := db.Audit(store.AuditQuery{After: after, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			seqs = append(seqs, e.Seq)
		}
		after = page[len(page)-1].Seq
	}
	if fmt.Sprint(seqs) != "[1 2 3 4 5 6]" {
		t.Fatalf("paged %v", seqs)
	}
	cases := []struct {
		q    store.AuditQuery
		want string
	}{
		{store.AuditQuery{Action: "user."}, "[2 4 6]"},
		{store.AuditQuery{Actor: "alice", After: 1}, "[3 5]"},
		{store.AuditQuery{Client: "c2"}, "[1 3 5]"},
		{store.AuditQuery{Client: "c"}, "[]"},
		{store.AuditQuery{Actor: "bob", Limit: 1}, "[2]"},
	}
	for _, c := range cases {
		evs, err := db.Audit(c.q)
		var got []uint64
		for _, e := range evs {
			got = append(got, e.Seq)
		}
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("%+v: %v %v, want %s", c.q, got, err, c.want)
		}
	}
}

func testAuditReopen(t *testing.T, f Factory) {
	open := f(t)
	db := open()
	append := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := db.AppendAudit(store.AuditEvent{At: time.Now(), Actor: "admin", Action: "client.create"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.SetAuditKey([]byte("short")); err == nil {
		t.Fatal("a short audit key was accepted")
	}
	append(3)
	from, err := db.SetAuditKey(testAuditKey)
	if err != nil || from != 4 {
		t.Fatalf("keyed from %d %v, want 4", from, err)
	}
	append(2)
	evs, _ := db.Audit(store.AuditQuery{})
	head := evs[len(evs)-1]
	if head.MAC == "" || evs[2].MAC != "" {
		t.Fatalf("record 3 MAC %q, record 5 MAC %q", evs[2].MAC, head.MAC)
	}
	db.Close()

	db = open()
	if from2, err := db.SetAuditKey(testAuditKey); err != nil || from2 != from {
		t.Fatalf("after reopen keyed from %d %v, want %d", from2, err, from)
	}
	append(2)
	an := store.AuditAnchors{KeyedFrom: from, Heads: map[uint64]string{head.Seq: head.MAC}}
	if n, err := db.VerifyAudit(an); err != nil || n != 7 {
		t.Fatalf("verify after reopen: %d %v", n, err)
	}
	evs, _ = db.Audit(store.AuditQuery{After: 5})
	if len(evs) != 2 || evs[0].Seq != 6 || evs[0].Prev != head.Hash {
		t.Fatalf("the first record after reopen does not link to the last before: %+v", evs)
	}
	// Another key cannot verify the keyed part.
	db.Close()
	other := f.reopen(t, open)
	if _, err := other.SetAuditKey([]byte("another key of sixteen bytes or more")); err != nil {
		t.Fatal(err)
	}
	var br *store.AuditBreak
	if _, err := other.VerifyAudit(store.AuditAnchors{}); !errors.As(err, &br) || br.Seq != from {
		t.Fatalf("verify with another key: %v, want a break at %d", err, from)
	}
}
