// Package health reports the device's state beyond its hardware as a
// protocol.Health: pending reboot and why, available patches, installed
// software, services and logged-in users, on Linux, Windows and macOS. It
// only reads: installing patches and uninstalling software is the install
// package below it, which checks IDs against the syntax defined here
// (ids.go, uninstallid.go).
//
// Every OS tool runs through an ops.Runner and every file is read under
// Env.Root, so tests drive the collectors with a fake runner and a temporary
// tree. Parsers of tool output are pure functions, tested against real
// captured outputs in testdata/. The Windows registry and the Windows Update
// Agent sit behind the Registry and WUA interfaces for the same reason; their
// real implementations live in the _windows.go files.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-rmm/steward/agent/lowprio"
	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/protocol"
)

// Caps on what a collector reports, so a hostile or broken tool cannot
// inflate a health message without bound.
const (
	maxPatches  = 5000
	maxSoftware = 20000
	maxUsers    = 500
	maxReasons  = 64
	MaxField    = 256  // names, versions, ids (exported: the installers cap alike)
	MaxDetail   = 1024 // reboot reason details, error strings
	maxSize     = 1 << 45
)

// Env is what the collectors need from the device. The zero value of each
// field is replaced by its production default (see Default).
type Env struct {
	Root     string     // filesystem root: "/" in production, a temp tree in tests
	GOOS     string     // runtime.GOOS by default
	Run      ops.Runner // runs OS tools; ops.Exec in production
	Now      func() time.Time
	Registry Registry // Windows registry; nil elsewhere
	WUA      WUA      // Windows Update Agent; nil elsewhere
	Log      *slog.Logger
}

// Default returns the production Env for this OS.
func Default(log *slog.Logger) Env {
	return Env{
		Root:     "/",
		GOOS:     runtime.GOOS,
		Run:      lowprio.Exec, // collectors yield CPU and disk to the device's own work
		Now:      time.Now,
		Registry: systemRegistry(),
		WUA:      systemWUA(log),
		Log:      log,
	}.WithDefaults()
}

// WithDefaults fills the zero fields with their production defaults.
func (e Env) WithDefaults() Env {
	if e.Root == "" {
		e.Root = "/"
	}
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	if e.Run == nil {
		e.Run = ops.Exec
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	return e
}

// path returns p (an absolute path on the device) under e.Root.
func (e Env) path(p string) string { return filepath.Join(e.Root, filepath.FromSlash(p)) }

func (e Env) exists(p string) bool {
	_, err := os.Stat(e.path(p))
	return err == nil
}

// toolDirs are where the tools we run live on Linux and macOS.
var toolDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// Has reports whether an executable named name exists in the usual PATH
// directories under e.Root. A tool that is absent is simply not used.
func (e Env) Has(name string) bool {
	for _, d := range toolDirs {
		fi, err := os.Stat(e.path(d + "/" + name))
		if err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

// ExitCode returns the exit status carried by a Runner error: 0 for nil,
// -1 when the command did not run or was killed.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return -1
}

// Collect gathers the whole Health. Patches are scanned only when
// scanPatches is set (without refreshing package caches); otherwise prev is
// kept. A failing collector adds a line to Errors and never stops the rest.
func Collect(ctx context.Context, e Env, scanPatches bool, prev protocol.PatchStatus, saw3010 bool) protocol.Health {
	e = e.WithDefaults()
	var h protocol.Health
	step := func(name string, f func() error) {
		defer func() {
			if r := recover(); r != nil {
				e.Log.Error("health collector panicked", "collector", name, "panic", r)
				h.Errors = append(h.Errors, Clean(fmt.Sprintf("%s: internal error: %v", name, r), MaxDetail))
			}
		}()
		if err := f(); err != nil {
			h.Errors = append(h.Errors, Clean(name+": "+err.Error(), MaxDetail))
		}
	}
	h.Patches = prev
	if scanPatches {
		step("patches", func() error {
			h.Patches = Patches(ctx, e, false)
			if h.Patches.Error != "" {
				return errors.New(h.Patches.Error)
			}
			return nil
		})
	}
	step("reboot", func() error {
		var errs []error
		h.Reboot, errs = reboot(ctx, e, saw3010, h.Patches.Available, h.Patches.Source != "")
		return errors.Join(errs...)
	})
	step("software", func() (err error) {
		h.Software, err = Software(ctx, e)
		return err
	})
	step("services", func() (err error) {
		h.Services, err = ops.ListServices(ctx, e.GOOS, e.Run)
		return err
	})
	step("users", func() (err error) {
		h.Users, h.LastUser, h.LastUserAt, err = Users(ctx, e)
		return err
	})
	return h
}

// Clean makes tool output safe to carry as a field: control characters
// become spaces, invalid UTF-8 is replaced, surrounding space is trimmed and
// the result is cut to at most n bytes on a rune boundary.
func Clean(s string, n int) string {
	if len(s) > 4*n {
		s = s[:4*n]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = strings.TrimSpace(s[:n])
	}
	return s
}

// joinCapped joins items with ", " and stops before exceeding MaxDetail.
func joinCapped(items []string) string {
	var b strings.Builder
	for i, it := range items {
		add := it
		if i > 0 {
			add = ", " + it
		}
		if b.Len()+len(add) > MaxDetail-16 {
			fmt.Fprintf(&b, " (+%d more)", len(items)-i)
			break
		}
		b.WriteString(add)
	}
	return b.String()
}

// uniq returns items without duplicates, in first-seen order.
func uniq(items []string) []string {
	seen := make(map[string]bool, len(items))
	out := items[:0:0]
	for _, s := range items {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortPatches(p []protocol.Patch) {
	slices.SortStableFunc(p, func(a, b protocol.Patch) int { return strings.Compare(a.ID, b.ID) })
}
