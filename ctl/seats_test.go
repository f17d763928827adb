package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// TestSeatsAndBulkTables: seats show, a bulk retire and a seat toggle
// print people's tables (unlimited as a word, modules as typed, hostile
// names escaped), compared with testdata/seats.golden; a bulk action
// with a failed device exits 1; the requests are the API's.
func TestSeatsAndBulkTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	seats := api.Seats{Modules: []api.SeatModule{{Module: "remote_support", Label: "remote support", Limit: 3, Used: 3, Fixed: true},
		{Module: "service_desk", Label: "service desk"}}, Devices: api.DeviceSeats{Limit: 100, Used: 42}}
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/seats": js(seats),
		"PUT /api/v1/seats": js(seats),
		"POST /api/v1/devices/bulk": js(api.BulkDevicesResponse{Action: "retire", Changed: 1, Results: []api.BulkResult{
			{ID: "d_1", Changed: true}, {ID: "d_2", Error: "device limit of 1 reached: retire a device or raise the limit"}}}),
		"GET /api/v1/users": js([]api.User{{ID: "u_1", Name: "tech\x1b[31m", Role: "technician"}}),
		"PUT /api/v1/users/u_1/seats/remote_support": js(api.User{ID: "u_1", Name: "tech\x1b[31m", Role: "technician",
			Seats: []string{"remote_support"}}),
	})
	var got strings.Builder
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"seats", "show"}, 0},
		{[]string{"seats", "set", "--devices", "100"}, 0},
		{[]string{"devices", "retire", "d_1", "d_2"}, 1},
		{[]string{"users", "seat", "u_1", "remote-support", "on"}, 0},
	} {
		out, errs, code := runCtl(t, srv, fp, c.args...)
		if code != c.code {
			t.Fatalf("%v: exit %d %q", c.args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(c.args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "seats.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s (go test ./ctl -run TestSeatsAndBulkTables -update to accept):\n%s", golden, got.String())
	}
	if strings.Contains(got.String(), "\x1b") {
		t.Error("a hostile name reached the terminal unescaped")
	}
	reqs := strings.Join(*seen, "\n")
	for _, want := range []string{`PUT /api/v1/seats {"device_limit":100}`, `POST /api/v1/devices/bulk {"devices":["d_1","d_2"],"action":"retire"}`,
		`PUT /api/v1/users/u_1/seats/remote_support {"enabled":true}`} {
		if !strings.Contains(reqs, want) {
			t.Errorf("no request %s in:\n%s", want, reqs)
		}
	}
	// Bad input is refused before any request.
	for _, args := range [][]string{{"seats", "set"}, {"seats", "set", "--devices", "-1"}, {"users", "seat", "u_1", "tickets", "on"},
		{"users", "seat", "u_1", "remote-support", "maybe"}, {"devices", "move", "d_1"}} {
		if _, errs, code := runCtl(t, srv, fp, args...); code == 0 || errs == "" {
			t.Errorf("%v: exit %d %q, want a refusal", args, code, errs)
		}
	}
}
