package boltstore

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/disk-golden.json")

// diskPairs are the store records and their disk types.
var diskPairs = []struct {
	rec, disk any
}{
	{store.Client{}, diskClient{}}, {store.EnrollToken{}, diskEnrollToken{}}, {store.Transition{}, diskTransition{}},
	{store.Device{}, diskDevice{}}, {store.Inventory{}, diskInventory{}}, {store.Health{}, diskHealth{}},
	{store.Job{}, diskJob{}}, {store.Run{}, diskRun{}}, {store.Script{}, diskScript{}}, {store.ScriptRef{}, diskScriptRef{}},
	{store.User{}, diskUser{}}, {store.APIToken{}, diskAPIToken{}}, {store.AuditEvent{}, diskAuditEvent{}},
	{store.Session{}, diskSession{}}, {store.ShellSession{}, diskShellSession{}}, {store.UpdateTarget{}, diskUpdateTarget{}},
	{store.UpdateResult{}, diskUpdateResult{}},
	{store.NotifyChannel{}, diskNotifyChannel{}}, {store.NotifyRule{}, diskNotifyRule{}}, {store.Delivery{}, diskDelivery{}},
	{store.NotifyAlert{}, diskNotifyAlert{}},
	{store.ClientProfile{}, diskClientProfile{}}, {store.ClientField{}, diskClientField{}}, {store.Contact{}, diskContact{}},
	{store.VaultEntry{}, diskVaultEntry{}}, {store.VaultKey{}, diskVaultKey{}}, {store.VaultSettings{}, diskVaultSettings{}},
	{store.Attachment{}, diskAttachment{}}, {store.Asset{}, diskAsset{}},
	{store.PortalAccount{}, diskPortalAccount{}}, {store.PortalSession{}, diskPortalSession{}},
	{store.Contract{}, diskContract{}}, {store.Entitlement{}, diskEntitlement{}}, {store.Consumption{}, diskConsumption{}},
}

// TestDiskTypesMatchRecords: every record field has its disk field, in
// the same order, so nothing a record holds is lost on the way to disk.
func TestDiskTypesMatchRecords(t *testing.T) {
	for _, p := range diskPairs {
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
}

// fill sets every field of v to a non-zero value, so the golden encoding
// shows every JSON name.
func fill(v reflect.Value) {
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
		fill(v.Elem())
	case reflect.Slice:
		if v.Type() == reflect.TypeOf(json.RawMessage(nil)) {
			v.SetBytes([]byte(`{"k":1}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// fillDocs sets the opaque documents of a filled record (a []byte the disk
// type writes verbatim as JSON: inventory, health, a job's spec) to the
// document the golden file holds under that name. The store never reads
// inside them, so what pins their content is the server's test of its
// encoding (server/records_test.go, against the same golden file); here
// the golden pins that they are written as they are, under their name.
func fillDocs(t *testing.T, v reflect.Value, disk reflect.Type, golden map[string]map[string]json.RawMessage) {
	raw := reflect.TypeOf(json.RawMessage(nil))
	for i := 0; i < v.NumField(); i++ {
		f, df := v.Type().Field(i), disk.Field(i)
		if f.Type != reflect.TypeOf([]byte(nil)) || df.Type != raw {
			continue
		}
		name, _, _ := strings.Cut(df.Tag.Get("json"), ",")
		doc := golden[v.Type().Name()][name]
		if len(doc) == 0 {
			t.Fatalf("golden file has no %s.%s", v.Type().Name(), name)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, doc); err != nil {
			t.Fatal(err)
		}
		v.Field(i).SetBytes(buf.Bytes())
	}
}

// TestDiskEncodingGolden: each record, every field set, encodes to the
// committed golden JSON (the names today's data uses) and decodes back to
// itself. A change here is a format change: it needs a migration.
func TestDiskEncodingGolden(t *testing.T) {
	const path = "testdata/disk-golden.json"
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]map[string]json.RawMessage
	if err := json.Unmarshal(want, &golden); err != nil {
		t.Fatal(err)
	}
	got := map[string]json.RawMessage{}
	for _, p := range diskPairs {
		rp := reflect.New(reflect.TypeOf(p.rec))
		fill(rp.Elem())
		fillDocs(t, rp.Elem(), reflect.TypeOf(p.disk), golden)
		b, err := encode(rp.Interface())
		if err != nil {
			t.Fatalf("%s: %v", rp.Type(), err)
		}
		got[rp.Elem().Type().Name()] = b
		back := reflect.New(rp.Elem().Type())
		if err := decode(b, back.Interface()); err != nil {
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
		want = out
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("disk encoding differs from %s (a format change needs a migration; -update-golden rewrites it):\n%s", path, out)
	}
}
