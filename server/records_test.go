package server

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/jobs"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/updates"
)

// TestRunStatesMatchProtocol: the store's run states are the protocol's,
// and so is which of them are terminal.
func TestRunStatesMatchProtocol(t *testing.T) {
	mine := []string{store.StateQueued, store.StateSent, store.StateRunning, store.StateSucceeded, store.StateFailed,
		store.StateTimedOut, store.StateCancelled, store.StateExpired}
	if !reflect.DeepEqual(mine, protocol.RunStates) {
		t.Fatalf("store run states %v, protocol %v", mine, protocol.RunStates)
	}
	for _, st := range append(mine, "", "bogus") {
		if store.Terminal(st) != protocol.Terminal(st) {
			t.Errorf("Terminal(%q): store %v, protocol %v", st, store.Terminal(st), protocol.Terminal(st))
		}
	}
}

// fillAll sets every exported field of v to a non-zero value, the way the
// store's golden test fills its records.
func fillAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem())
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillAll(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k)
		fillAll(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i))
			}
		}
	}
}

// TestRecordDocumentsKeepTheDiskFormat: the documents the server hands the
// store (inventory, health, a job's spec) and the heartbeat and update
// result it converts are, once the bbolt store writes them, the bytes the
// store's golden file holds: the JSON the first servers wrote when the
// records embedded the protocol types. A protocol field renamed or added
// without a store migration fails here.
func TestRecordDocumentsKeepTheDiskFormat(t *testing.T) {
	raw, err := os.ReadFile("store/bolt/testdata/disk-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	same := func(what string, got []byte, want json.RawMessage) {
		t.Helper()
		var w bytes.Buffer
		if err := json.Compact(&w, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w.Bytes()) {
			t.Errorf("%s encodes as\n%s\nthe golden disk format has\n%s", what, got, w.Bytes())
		}
	}
	var inv protocol.Inventory
	fillAll(reflect.ValueOf(&inv).Elem())
	invRec, err := fleet.InventoryRecord("d", "h", time.Time{}, &inv)
	if err != nil {
		t.Fatal(err)
	}
	same("inventory", invRec.Doc, golden["Inventory"]["inventory"])
	if back, err := fleet.DecodeInventory(invRec); err != nil || !reflect.DeepEqual(back, inv) {
		t.Errorf("inventory does not come back: %+v %v", back, err)
	}
	var h protocol.Health
	fillAll(reflect.ValueOf(&h).Elem())
	hRec, err := fleet.HealthRecord("d", "h", time.Time{}, &h)
	if err != nil {
		t.Fatal(err)
	}
	same("health", hRec.Doc, golden["Health"]["health"])
	if back, err := fleet.DecodeHealth(hRec); err != nil || !reflect.DeepEqual(back, h) {
		t.Errorf("health does not come back: %+v %v", back, err)
	}
	var spec protocol.Job
	fillAll(reflect.ValueOf(&spec).Elem())
	doc, err := jobs.EncodeSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	same("job spec", doc, golden["Job"]["spec"])
	if back, err := jobs.DecodeSpec(&store.Job{Spec: doc}); err != nil || !reflect.DeepEqual(back, spec) {
		t.Errorf("job spec does not come back: %+v %v", back, err)
	}
	// The heartbeat converts field for field (a Go conversion, which stops
	// compiling if the two drift); its JSON is the disk format's.
	var hb protocol.Heartbeat
	fillAll(reflect.ValueOf(&hb).Elem())
	if protocol.Heartbeat(store.Heartbeat(hb)) != hb {
		t.Error("heartbeat does not survive the record")
	}
	hbJSON, _ := json.Marshal(hb)
	same("heartbeat", hbJSON, golden["Device"]["heartbeat"])
	var ur protocol.UpdateResult
	fillAll(reflect.ValueOf(&ur).Elem())
	if back := updates.ProtocolResult(updates.ResultRecord("d", ur, time.Time{})); back != ur {
		t.Errorf("update result %+v comes back as %+v", ur, back)
	}
}
