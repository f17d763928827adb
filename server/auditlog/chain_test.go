package auditlog

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestAuditAnchorRotatesAndKeepsEverything: the anchor file is renamed to
// FILE.1, FILE.2, ... by size and every head stays readable.
func TestAuditAnchorRotatesAndKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, anchorFile)
	a, err := openAuditAnchor(path, 200)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.write("steward-audit from=1"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 40; i++ {
		if err := a.write(fmt.Sprintf("steward-audit seq=%d mac=%064x", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	a.close()
	files := anchorFiles(path)
	if len(files) < 5 || files[0] != filepath.Join(dir, "audit-anchor.log.1") || files[len(files)-1] != filepath.Join(dir, "audit-anchor.log") {
		t.Fatalf("anchor files %v", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	got, err := readAnchorFiles(path)
	if err != nil || got.KeyedFrom != 1 || len(got.Heads) != 40 || got.Heads[40] != fmt.Sprintf("%064x", 40) {
		t.Fatalf("anchors: from %d, %d heads, %v", got.KeyedFrom, len(got.Heads), err)
	}
	// A second, different head for a record already anchored is a break.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	fmt.Fprintf(f, "steward-audit seq=7 mac=%064x\n", 99)
	f.Close()
	if _, err := readAnchorFiles(path); err == nil {
		t.Fatal("conflicting heads not reported")
	}
}
