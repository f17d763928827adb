package agent

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/steward-rmm/steward/agent/ops"
)

// quserRunner answers quser.exe with a capture from health's testdata.
func quserRunner(t *testing.T, name string) ops.Runner {
	b, err := os.ReadFile("health/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, cmd string, _ ...string) ([]byte, error) {
		if cmd != "quser.exe" {
			t.Fatalf("ran %q", cmd)
		}
		return b, nil
	}
}

// TestLoggedInQuser: logoff finds every session. quser on Server 2008 R2
// printed rows without a header; the old parser dropped the first line
// whatever it was, so user1 could not be logged off.
func TestLoggedInQuser(t *testing.T) {
	cases := map[string]map[string][]string{
		"quser-server2008r2-rows-only-odd-idle.txt":        {"user1": {"30"}, "user2": {"42"}, "user3": {"55"}},
		"query-user-two-rdp-sessions-htb.txt":              {"juurena": {"1"}, "lewen": {"2"}},
		"quser-disc-no-sessionname-ddmmyyyy-java-test.txt": {"test": {"4"}},
	}
	for file, want := range cases {
		if got := loggedIn(context.Background(), "windows", quserRunner(t, file)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", file, got, want)
		}
	}
}
