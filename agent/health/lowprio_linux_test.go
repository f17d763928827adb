package health

import (
	"context"
	"strings"
	"testing"
)

// TestDefaultCollectorsRunChildrenAtNice19: a tool started by the
// production collectors' runner reports nice 19 in its own /proc stat.
func TestDefaultCollectorsRunChildrenAtNice19(t *testing.T) {
	out, err := Default(nil).Run(context.Background(), "cat", "/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 17 || f[16] != "19" {
		t.Fatalf("collector child's nice field = %q, want 19 (stat %q)", f[16], s)
	}
}
