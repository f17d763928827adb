package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Automation checks automation profiles (unique names per owner, tasks
// kept whole), assignments at every level, exemptions, schedule states
// saved and dropped with log records in one call, the log's query and
// pruning, and that deleting a profile takes its assignments,
// exemptions and states with it.
func Automation(t *testing.T, f Factory) {
	db := f.fresh(t)
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	task := store.AutoTask{ID: "t1", Name: "Scan", Action: "patch-scan", Spread: 600, DeadlineMinutes: 30,
		Schedule: store.AutoSchedule{Kind: "weekly", At: "03:00", Weekdays: []int{2, 4}, TimeZone: "Europe/Paris"}}
	p1 := store.AutoProfile{ID: "ap1", Name: "Servers", Tasks: []store.AutoTask{task}, CreatedAt: at, UpdatedAt: at, UpdatedBy: "ann",
		Patch: &store.PatchPolicy{Auto: "security", Include: []string{"openssl*"}, Exclude: []string{"kernel*"}, Weekdays: []int{2},
			Start: "02:00", Minutes: 120, TimeZone: "UTC", Reboot: "if-required", Message: "bye", RebootAfterDays: 7,
			Classifications: []string{"critical", "definition"}, MinSeverity: "important",
			RebootAt: "22:00", DeferMinutes: 60, MaxDeferrals: 3}}
	if err := db.PutAutoProfile(p1); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAutoProfile(store.AutoProfile{ID: "ap2", Name: "Servers"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same name, same owner: %v", err)
	}
	if err := db.PutAutoProfile(store.AutoProfile{ID: "ap2", Name: "Servers", ClientID: "c1"}); err != nil {
		t.Fatalf("same name, other owner: %v", err)
	}
	got, err := db.AutoProfile("ap1")
	if err != nil || len(got.Tasks) != 1 || got.Tasks[0].Schedule.TimeZone != "Europe/Paris" ||
		len(got.Tasks[0].Schedule.Weekdays) != 2 || got.Tasks[0].Spread != 600 || !got.UpdatedAt.Equal(at) ||
		got.Patch == nil || got.Patch.Auto != "security" || got.Patch.Exclude[0] != "kernel*" || got.Patch.RebootAfterDays != 7 ||
		!slices.Equal(got.Patch.Classifications, []string{"critical", "definition"}) || got.Patch.MinSeverity != "important" ||
		got.Patch.RebootAt != "22:00" || got.Patch.DeferMinutes != 60 || got.Patch.MaxDeferrals != 3 {
		t.Fatalf("profile read back = %+v %v", got, err)
	}
	// An every schedule's anchor survives the round trip.
	anchored := store.AutoProfile{ID: "ap9", Name: "Anchored", Tasks: []store.AutoTask{{ID: "t9", Name: "Tick", Action: "patch-scan",
		Schedule: store.AutoSchedule{Kind: "every", Every: 14400, Start: at.Add(90 * time.Minute)}}}}
	if err := db.PutAutoProfile(anchored); err != nil {
		t.Fatal(err)
	}
	if got, err := db.AutoProfile("ap9"); err != nil || !got.Tasks[0].Schedule.Start.Equal(at.Add(90*time.Minute)) {
		t.Fatalf("anchored profile read back = %+v %v", got, err)
	}
	if err := db.DeleteAutoProfile("ap9"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AutoProfile("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown profile: %v", err)
	}
	if ps, err := db.AutoProfiles(); err != nil || len(ps) != 2 || ps[0].ID != "ap1" {
		t.Fatalf("profiles = %+v %v", ps, err)
	}
	for _, a := range []store.ProfileAssignment{{Level: store.LevelDefault, ProfileID: "ap1"},
		{Level: store.LevelClient, ClientID: "c1", ProfileID: "ap2"},
		{Level: store.LevelFolder, ClientID: "c1", Folder: "Servers", ProfileID: "ap1"},
		{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d1", ProfileID: "ap2"}} {
		if err := db.SetAutoAssignment(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetAutoAssignment(store.ProfileAssignment{Level: store.LevelDevice, DeviceID: "d2", ProfileID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("assign unknown profile: %v", err)
	}
	if as, err := db.AutoAssignments(); err != nil || len(as) != 4 {
		t.Fatalf("assignments = %+v %v", as, err)
	}
	if err := db.SetAutoAssignment(store.ProfileAssignment{Level: store.LevelDevice, DeviceID: "d1"}); err != nil {
		t.Fatal(err)
	}
	if as, _ := db.AutoAssignments(); len(as) != 3 {
		t.Fatalf("after removing one: %+v", as)
	}
	e := store.AutoExemption{DeviceID: "d1", ClientID: "c1", ProfileID: "ap1", TaskID: "t1", Reason: "kiosk", By: "ann", At: at}
	if err := db.PutAutoExemption(e); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAutoExemption(store.AutoExemption{DeviceID: "d2", ProfileID: "ap2", TaskID: "x"}); err != nil {
		t.Fatal(err)
	}
	if es, err := db.AutoExemptions("d1"); err != nil || len(es) != 1 || es[0].Reason != "kiosk" {
		t.Fatalf("exemptions of d1 = %+v %v", es, err)
	}
	if es, _ := db.AutoExemptions(""); len(es) != 2 {
		t.Fatalf("all exemptions = %+v", es)
	}
	if err := db.DeleteAutoExemption("d2", "ap2", "x"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAutoExemption("d2", "ap2", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	s1 := store.AutoState{ProfileID: "ap1", TaskID: "t1", DeviceID: "d1", Sig: "s", NextRun: at.Add(time.Hour), LastRun: at, RunID: "r1", JobID: "j1",
		PendingSince: at.Add(-48 * time.Hour), Deferrals: 2, RebootDue: at.Add(30 * time.Minute), RebootStep: "due", RebootRun: "r0"}
	s2 := store.AutoState{ProfileID: "ap2", TaskID: "t9", DeviceID: "d2", Sig: "s", NextRun: at}
	runs := []store.AutoRun{
		{ID: "ar1", ProfileID: "ap1", TaskID: "t1", DeviceID: "d1", ClientID: "c1", Due: at, At: at, Outcome: store.AutoStarted, RunID: "r1"},
		{ID: "ar2", ProfileID: "ap2", TaskID: "t9", DeviceID: "d2", ClientID: "c2", Due: at, At: at.Add(time.Hour), Outcome: store.AutoSkippedOffline},
	}
	if err := db.SaveAutoStates([]store.AutoState{s1, s2}, nil, runs); err != nil {
		t.Fatal(err)
	}
	s1.NextRun = at.Add(2 * time.Hour)
	if err := db.SaveAutoStates([]store.AutoState{s1}, []store.AutoState{s2}, nil); err != nil {
		t.Fatal(err)
	}
	if ss, err := db.AutoStates(); err != nil || len(ss) != 1 || !ss[0].NextRun.Equal(at.Add(2*time.Hour)) || ss[0].RunID != "r1" ||
		!ss[0].PendingSince.Equal(at.Add(-48*time.Hour)) || ss[0].Deferrals != 2 || !ss[0].RebootDue.Equal(at.Add(30*time.Minute)) ||
		ss[0].RebootStep != "due" || ss[0].RebootRun != "r0" {
		t.Fatalf("states = %+v %v", ss, err)
	}
	if err := db.SaveAutoStates(nil, nil, []store.AutoRun{{ProfileID: "x"}}); err == nil {
		t.Fatal("a log record without an ID was stored")
	}
	if rs, err := db.AutoRuns(store.AutoRunQuery{}); err != nil || len(rs) != 2 || rs[0].ID != "ar2" {
		t.Fatalf("runs newest first = %+v %v", rs, err)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{Scope: store.Scope{Only: true, Clients: []string{"c1"}}}); len(rs) != 1 || rs[0].ID != "ar1" {
		t.Fatalf("scoped runs = %+v", rs)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{DeviceID: "d2", Limit: 1}); len(rs) != 1 || rs[0].Outcome != store.AutoSkippedOffline {
		t.Fatalf("device runs = %+v", rs)
	}
	if n, err := db.PruneAutoRuns(at.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune = %d %v", n, err)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{}); len(rs) != 1 || rs[0].ID != "ar2" {
		t.Fatalf("after prune = %+v", rs)
	}
	// One device's log: its records only, newest first, filtered and
	// limited; none left of a pruned one.
	if rs, _ := db.AutoRuns(store.AutoRunQuery{DeviceID: "d1"}); len(rs) != 0 {
		t.Fatalf("a device's pruned log = %+v", rs)
	}
	var more []store.AutoRun
	for i := range 5 {
		more = append(more, store.AutoRun{ID: fmt.Sprintf("ar3-%d", i), ProfileID: "ap2", TaskID: "t9", DeviceID: "d2", ClientID: "c2",
			Due: at, At: at.Add(2 * time.Hour), Outcome: store.AutoStarted},
			store.AutoRun{ID: fmt.Sprintf("ar3-%d-x", i), ProfileID: "ap2", TaskID: "t9", DeviceID: "d22", ClientID: "c2",
				Due: at, At: at.Add(2 * time.Hour), Outcome: store.AutoStarted})
	}
	if err := db.SaveAutoStates(nil, nil, more); err != nil {
		t.Fatal(err)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{DeviceID: "d2", Limit: 3}); len(rs) != 3 || rs[0].ID != "ar3-4" || rs[2].ID != "ar3-2" {
		t.Fatalf("a device's log, newest 3 = %+v", rs)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{DeviceID: "d2", Scope: store.Scope{Only: true, Clients: []string{"c1"}}}); len(rs) != 0 {
		t.Fatalf("a device's log out of scope = %+v", rs)
	}
	if rs, _ := db.AutoRuns(store.AutoRunQuery{DeviceID: "d2"}); len(rs) != 6 || rs[5].ID != "ar2" {
		t.Fatalf("a device's whole log = %+v", rs)
	}
	for _, a := range []store.PatchApproval{{ClientID: "c1", PatchID: "KB1", Name: "Update", By: "ann", At: at}, {PatchID: "KB2", At: at},
		{ClientID: "c1", PatchID: "KB1", Name: "Update again", At: at}} {
		if err := db.PutPatchApproval(a); err != nil {
			t.Fatal(err)
		}
	}
	if as, err := db.PatchApprovals(); err != nil || len(as) != 2 || as[0].PatchID != "KB2" || as[0].ClientID != "" ||
		as[1].Name != "Update again" {
		t.Fatalf("approvals (one per client and patch, global first) = %+v %v", as, err)
	}
	if err := db.DeletePatchApproval("c1", "KB1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePatchApproval("c1", "KB1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second approval delete: %v", err)
	}
	if err := db.DeleteAutoProfile("ap1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAutoProfile("ap1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	as, _ := db.AutoAssignments()
	es, _ := db.AutoExemptions("")
	ss, _ := db.AutoStates()
	if len(as) != 1 || as[0].ProfileID != "ap2" || len(es) != 0 || len(ss) != 0 {
		t.Fatalf("after deleting ap1: assignments %+v exemptions %+v states %+v", as, es, ss)
	}
}
