package boltstore

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/steward-rmm/steward/server/store"
)

// ticketPairs are the service-desk records and their disk types.
var ticketPairs = []struct{ rec, disk any }{
	{store.Ticket{}, diskTicket{}}, {store.TicketClockEvent{}, diskClockEvent{}}, {store.TicketSLA{}, diskTicketSLA{}},
	{store.TicketComment{}, diskTicketComment{}}, {store.TimeEntry{}, diskTimeEntry{}}, {store.TicketStatusDef{}, diskTicketStatus{}},
	{store.BusinessHours{}, diskBusinessHours{}}, {store.SLACalendar{}, diskSLACalendar{}}, {store.SLATarget{}, diskSLATarget{}},
	{store.SLA{}, diskSLA{}},
}

// TestTicketDiskTypes: every service-desk record field has its disk
// field, and each record, every field set, encodes to the committed
// golden JSON and decodes back to itself (a change is a format change).
func TestTicketDiskTypes(t *testing.T) {
	for _, p := range ticketPairs {
		rt, dt := reflect.TypeOf(p.rec), reflect.TypeOf(p.disk)
		if rt.NumField() != dt.NumField() {
			t.Errorf("%s has %d fields, %s %d", rt, rt.NumField(), dt, dt.NumField())
			continue
		}
		for i := 0; i < rt.NumField(); i++ {
			if rt.Field(i).Name != dt.Field(i).Name {
				t.Errorf("%s field %d is %s, %s has %s", rt, i, rt.Field(i).Name, dt, dt.Field(i).Name)
			}
		}
	}
	const path = "testdata/tickets-golden.json"
	got := map[string]json.RawMessage{}
	for _, rec := range []any{store.Ticket{}, store.TicketComment{}, store.TimeEntry{}, store.SLACalendar{}, store.SLA{}, []store.TicketStatusDef{}} {
		rp := reflect.New(reflect.TypeOf(rec))
		fill(rp.Elem())
		b, err := encodeTicketRec(rp.Elem().Interface())
		if err != nil {
			t.Fatalf("%s: %v", rp.Type(), err)
		}
		got[rp.Elem().Type().String()] = b
		back := reflect.New(rp.Elem().Type())
		if err := decodeTicketRec(b, back.Interface()); err != nil {
			t.Fatalf("%s: decode: %v", rp.Type(), err)
		}
		if !reflect.DeepEqual(back.Elem().Interface(), rp.Elem().Interface()) {
			t.Errorf("%s does not survive encode and decode:\n%+v\n%+v", rp.Type(), rp.Elem().Interface(), back.Elem().Interface())
		}
	}
	out, _ := json.MarshalIndent(got, "", "  ")
	out = append(out, '\n')
	if *updateGolden {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("service-desk disk encoding differs from %s (a format change needs a migration; -update-golden rewrites it):\n%s", path, out)
	}
}
