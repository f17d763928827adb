package boltstore

import (
	"reflect"
	"testing"

	"github.com/steward-rmm/steward/server/store"
)

// TestInvoiceDiskTypes: every field of the invoice records has its disk
// field in the same order (invoices.go converts by position).
func TestInvoiceDiskTypes(t *testing.T) {
	for _, p := range []struct{ rec, disk any }{
		{store.Invoice{}, diskInvoice{}}, {store.InvoiceLine{}, diskInvoiceLine{}}, {store.InvoiceSettings{}, diskInvoiceSettings{}},
	} {
		rt, dt := reflect.TypeOf(p.rec), reflect.TypeOf(p.disk)
		if rt.NumField() != dt.NumField() {
			t.Fatalf("%s has %d fields, %s %d", rt, rt.NumField(), dt, dt.NumField())
		}
		for i := range rt.NumField() {
			if rt.Field(i).Name != dt.Field(i).Name {
				t.Errorf("%s field %d is %s, %s has %s", rt, i, rt.Field(i).Name, dt, dt.Field(i).Name)
			}
		}
	}
}
