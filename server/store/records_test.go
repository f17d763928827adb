package store

import (
	"reflect"
	"testing"
)

// TestRecordsHaveNoTags: no field of a record (or of a type it holds)
// carries a struct tag, so no record doubles as a wire, REST or disk
// schema; those are the protocol's, the api's and the implementation's.
func TestRecordsHaveNoTags(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || seen[rt] || rt.PkgPath() != reflect.TypeOf(Client{}).PkgPath() {
			return
		}
		seen[rt] = true
		for i := 0; i < rt.NumField(); i++ {
			if f := rt.Field(i); f.Tag != "" {
				t.Errorf("%s.%s has the tag %q", rt.Name(), f.Name, f.Tag)
			}
			walk(rt.Field(i).Type)
		}
	}
	for _, r := range []any{Client{}, EnrollToken{}, Device{}, Inventory{}, Health{}, Job{}, Run{}, Script{}, User{},
		APIToken{}, AuditEvent{}, Session{}, ShellSession{}, UpdateTarget{}, UpdateResult{}, RunOp{}, RunOpResult{},
		JobQuery{}, ScriptQuery{}, AuditQuery{}} {
		walk(reflect.TypeOf(r))
	}
	if len(seen) < 20 {
		t.Fatalf("walked %d record types", len(seen))
	}
}
