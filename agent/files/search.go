package files

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// Search bounds.
const (
	DefaultDepth  = 8
	MaxDepth      = 32
	DefaultHits   = 200
	MaxHits       = 5000
	MaxScanned    = 2_000_000
	searchBatch   = 100
	maxNamePatLen = 255
)

// matcher tests a name against a search: a case-insensitive substring, or
// a glob when the pattern has * ? or [.
func matcher(pat string) (func(string) bool, error) {
	lp := strings.ToLower(pat)
	if !strings.ContainsAny(pat, "*?[") {
		return func(n string) bool { return strings.Contains(strings.ToLower(n), lp) }, nil
	}
	if _, err := filepath.Match(lp, ""); err != nil {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "invalid pattern %q: %v", pat, err)
	}
	return func(n string) bool { ok, _ := filepath.Match(lp, strings.ToLower(n)); return ok }, nil
}

func search(ctx context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesSearchParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	root, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	if prm.Name == "" || len(prm.Name) > maxNamePatLen {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "a name to search for (1 to %d bytes) is required", maxNamePatLen)
	}
	match, err := matcher(prm.Name)
	if err != nil {
		return nil, err
	}
	depth := prm.Depth
	if depth <= 0 {
		depth = DefaultDepth
	}
	depth = min(depth, MaxDepth)
	limit := prm.Limit
	if limit <= 0 {
		limit = DefaultHits
	}
	limit = min(limit, MaxHits)
	base := strings.Count(root, string(filepath.Separator))
	if IsRoot(root, goos) {
		base-- // "/" and "C:\" end with the separator
	}
	var res protocol.FilesSearchResult
	var batch []protocol.FileEntry
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Send(batch)
		batch = batch[:0]
		return err
	}
	// WalkDir never follows symlinks: a link to "/" cannot loop a search.
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if p == root {
				return osError("search", root, err)
			}
			res.Unreadable++
			return nil
		}
		if p == root {
			return nil
		}
		res.Scanned++
		if res.Scanned > MaxScanned {
			res.Truncated = true
			return fs.SkipAll
		}
		if match(de.Name()) {
			if fi, err := de.Info(); err == nil {
				e := entry(filepath.Dir(p), fi)
				e.Path = p
				batch = append(batch, e)
				res.Count++
				if len(batch) >= searchBatch {
					if err := flush(); err != nil {
						return err
					}
				}
				if res.Count >= limit {
					res.Truncated = true
					return fs.SkipAll
				}
			}
		}
		if de.IsDir() && strings.Count(p, string(filepath.Separator))-base >= depth {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return res, nil
}
