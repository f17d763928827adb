package files

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// Page sizes of a listing.
const (
	DefaultPage = 1000
	MaxPage     = 5000
)

// dirCache keeps the sorted names of the directories listed last, so the
// pages of a large directory cost one read of it, not one per page. An
// entry is valid while the directory's modification time is unchanged
// and for at most cacheTTL.
type dirCache struct {
	mu sync.Mutex
	m  map[string]*dirNames
}

type dirNames struct {
	mod  time.Time
	at   time.Time
	keys []string // sort keys: "0"+name for folders, "1"+name otherwise
}

const (
	cacheTTL    = time.Minute
	cacheDirs   = 4
	cacheSettle = 2 * time.Second
)

var cache = &dirCache{m: map[string]*dirNames{}}

func (c *dirCache) get(p string, mod time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.m[p]
	if d == nil || !d.mod.Equal(mod) || time.Since(d.at) > cacheTTL {
		return nil
	}
	return d.keys
}

func (c *dirCache) put(p string, mod time.Time, keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheDirs {
		oldest := ""
		for k, d := range c.m {
			if oldest == "" || d.at.Before(c.m[oldest].at) {
				oldest = k
			}
		}
		delete(c.m, oldest)
	}
	c.m[p] = &dirNames{mod: mod, at: time.Now(), keys: keys}
}

// less orders sort keys: folders first, then by name without case, then
// by bytes (so the order is total and a cursor is unambiguous).
func compareKeys(a, b string) int {
	if a[0] != b[0] {
		return int(a[0]) - int(b[0])
	}
	if c := strings.Compare(strings.ToLower(a[1:]), strings.ToLower(b[1:])); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// sortedKeys reads a directory's names and types (no stat per entry:
// the type comes with the directory read) and sorts them.
func sortedKeys(ctx context.Context, p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, osError("list", p, err)
	}
	defer f.Close()
	var keys []string
	for {
		des, err := f.ReadDir(4096)
		for _, de := range des {
			k := "1"
			if de.IsDir() {
				k = "0"
			}
			keys = append(keys, k+de.Name())
		}
		if err != nil || len(des) == 0 {
			break
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	slices.SortFunc(keys, compareKeys)
	return keys, nil
}

func list(ctx context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesListParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	p, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	limit := prm.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	st, err := os.Stat(p)
	if err != nil {
		return nil, osError("list", p, err)
	}
	if !st.IsDir() {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "%s is not a folder", p)
	}
	keys := cache.get(p, st.ModTime())
	if keys == nil {
		if keys, err = sortedKeys(ctx, p); err != nil {
			return nil, err
		}
		// A folder changed in the last moments is not cached: a change within
		// the clock's granularity would not move its mtime.
		if time.Since(st.ModTime()) > cacheSettle {
			cache.put(p, st.ModTime(), keys)
		}
	}
	start := 0
	if prm.Cursor != "" {
		if prm.Cursor[0] != '0' && prm.Cursor[0] != '1' {
			return nil, toolbox.Errorf(protocol.CallBadRequest, "invalid cursor")
		}
		// The first key after the cursor: entries removed or added meanwhile
		// neither repeat nor shift the pages.
		start, _ = slices.BinarySearchFunc(keys, prm.Cursor, compareKeys)
		if start < len(keys) && keys[start] == prm.Cursor {
			start++
		}
	}
	end := min(start+limit, len(keys))
	res := protocol.FilesListResult{Path: p, Parent: Parent(p, goos), Total: len(keys),
		Entries: make([]protocol.FileEntry, 0, end-start)}
	for _, k := range keys[start:end] {
		fi, err := os.Lstat(filepath.Join(p, k[1:]))
		if err != nil {
			continue // removed since the directory was read
		}
		res.Entries = append(res.Entries, entry(p, fi))
	}
	if end < len(keys) {
		res.Next = keys[end-1]
	}
	return res, nil
}

// lstatEntry describes one path.
func lstatEntry(p string) (protocol.FileEntry, fs.FileInfo, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return protocol.FileEntry{}, nil, osError("stat", p, err)
	}
	return entry(filepath.Dir(p), fi), fi, nil
}
