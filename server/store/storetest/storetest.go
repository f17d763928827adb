// Package storetest is the conformance suite of the store contract: every
// implementation of store.Store runs Run from its own tests and must pass
// it unchanged. The suite asserts behaviour callers rely on: atomic
// enrollment under a race, idempotent run results and output chunks,
// ordering and paging, not-found and conflict errors, and an audit chain
// that stays continuous across a reopen.
package storetest

import (
	"testing"

	"github.com/steward-rmm/steward/server/store"
)

// Factory makes empty storage for one test and returns how to open it.
// open may be called again after the store it returned is closed, and
// must then open the same data (a server restart). The suite closes what
// open returns.
type Factory func(t *testing.T) (open func() store.Store)

// fresh opens new empty storage, closed at the end of the test.
func (f Factory) fresh(t *testing.T) store.Store {
	t.Helper()
	st := f(t)()
	t.Cleanup(func() { st.Close() })
	return st
}

// reopen opens the data of open again, closed at the end of the test.
func (f Factory) reopen(t *testing.T, open func() store.Store) store.Store {
	t.Helper()
	st := open()
	t.Cleanup(func() { st.Close() })
	return st
}

// Run runs every suite, one subtest each.
func Run(t *testing.T, f Factory) {
	for _, s := range []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"Meta", Meta},
		{"Clients", Clients},
		{"EnrollTokens", EnrollTokens},
		{"Devices", Devices},
		{"Jobs", Jobs},
		{"Output", Output},
		{"Scripts", Scripts},
		{"Accounts", Accounts},
		{"Audit", Audit},
		{"Shells", Shells},
		{"Updates", Updates},
		{"Retire", Retire},
		{"Notify", Notify},
		{"ClientPage", ClientPage},
		{"Monitoring", Monitoring},
		{"Alerts", Alerts},
		{"Vault", Vault},
		{"Attachments", Attachments},
		{"Assets", Assets},
		{"Portal", Portal},
		{"Automation", Automation},
		{"Tickets", Tickets},
		{"Contracts", Contracts},
		{"Invoices", Invoices},
		{"Helpdesk", Helpdesk},
		{"Consent", Consent},
		{"InvoicePaging", InvoicePaging},
		{"AuditByClient", AuditByClient},
	} {
		t.Run(s.name, func(t *testing.T) { s.fn(t, f) })
	}
}

// subtests runs named tests of one suite.
func subtests(t *testing.T, f Factory, tests map[string]func(*testing.T, Factory)) {
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, f) })
	}
}
