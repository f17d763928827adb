package install

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/installer"
)

// agentSums caches the SHA-256 of each agent build by file size and
// modification time, so scripts and tokens do not rehash ~10 MB files.
var agentSums = &sumCache{m: map[string]cachedSum{}}

type cachedSum struct {
	size int64
	mod  time.Time
	sum  string
}

type sumCache struct {
	mu sync.Mutex // guards m; lock order: a leaf
	m  map[string]cachedSum
}

// get returns "os/arch" -> SHA-256 for the builds present in dir.
func (c *sumCache) get(dir string) map[string]string {
	out := map[string]string{}
	if dir == "" {
		return out
	}
	for _, p := range installer.Platforms {
		goos, arch, _ := strings.Cut(p, "/")
		name := "steward-agent-" + goos + "-" + arch
		if goos == "windows" {
			name += ".exe"
		}
		if sum := c.sum(filepath.Join(dir, name)); sum != "" {
			out[p] = sum
		}
	}
	return out
}

func (c *sumCache) sum(path string) string {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.sum
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sum, err := fileSHA256(f)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	c.m[path] = cachedSum{size: fi.Size(), mod: fi.ModTime(), sum: sum}
	c.mu.Unlock()
	return sum
}
