//go:build !windows

package files

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

func listPage(t *testing.T, p, cursor string, limit int) protocol.FilesListResult {
	t.Helper()
	raw, _ := json.Marshal(protocol.FilesListParams{Path: p, Cursor: cursor, Limit: limit})
	res, err := list(context.Background(), &toolbox.Call{Method: protocol.MethodFilesList, Params: raw})
	if err != nil {
		t.Fatal(err)
	}
	return res.(protocol.FilesListResult)
}

// TestListPagingAndCache: pages cover every entry once, in order; a file
// added between pages shows in the total (the cached names are dropped
// when the folder changes) without repeating entries.
func TestListPagingAndCache(t *testing.T) {
	dir := t.TempDir()
	for i := range 250 {
		if err := os.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(1000+i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	cursor, last := "", ""
	for pages := 0; ; pages++ {
		page := listPage(t, dir, cursor, 100)
		for _, e := range page.Entries {
			if seen[e.Name] || e.Name <= last {
				t.Fatalf("%s repeated or out of order after %s", e.Name, last)
			}
			seen[e.Name], last = true, e.Name
		}
		if pages == 0 {
			// Changes the folder's mtime: the next page reads it again.
			if err := os.WriteFile(filepath.Join(dir, "f9999"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if cursor = page.Next; cursor == "" {
			if page.Total != 251 {
				t.Fatalf("total %d after the folder changed, want 251", page.Total)
			}
			break
		}
	}
	if len(seen) != 251 {
		t.Fatalf("listed %d entries, want 251", len(seen))
	}
}

// TestSpecialFilesNeverRead: a FIFO is refused without blocking, on the
// path and on an open handle.
func TestSpecialFilesNeverRead(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
	if _, _, err := openRegular(fifo); code(err) != protocol.CallForbidden {
		t.Fatalf("FIFO: %v", err)
	}
	if _, _, err := openRegular("/dev/null"); code(err) != protocol.CallForbidden {
		t.Fatalf("/dev/null: %v", err)
	}
}
