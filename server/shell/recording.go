package shell

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// Shell recordings are asciicast v2 files under DATA/recordings, one per
// session, with the session's metadata in the shell_sessions bucket. They
// hold what the device printed and the terminal's resizes; the
// technician's keystrokes (passwords typed at prompts among them) only
// when the server runs with --record-shell-input. Reading them takes the
// recordings permission (admins by default) as well as the client scope.

func (sr *Wing) recordingsDir() string { return filepath.Join(sr.cfg.DataDir, "recordings") }

// AuditSettings records at every start that keystrokes are being
// recorded, so that turning it on never goes unnoticed.
func (sr *Wing) AuditSettings() {
	if sr.cfg.RecordShellInput {
		sr.d.Log.Warn("shell recordings keep the technicians' keystrokes (--record-shell-input)")
		sr.d.Audit.AuditSystem("shell.record_input", "", map[string]string{"enabled": "true"})
	}
}

// retentionLoop deletes recordings older than the retention period.
func (sr *Wing) retentionLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		sr.prune()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (sr *Wing) prune() {
	ents, err := os.ReadDir(sr.recordingsDir())
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-sr.cfg.RecordingRetention)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(sr.recordingsDir(), e.Name()))
		}
	}
}

func (sr *Wing) records(p *httpx.Principal) ([]shellRecord, error) {
	all, err := sr.d.Store.ShellSessions()
	var out []shellRecord
	for _, r := range all {
		if p.CanSeeClient(r.ClientID) {
			out = append(out, r)
		}
	}
	return out, err
}

func (sr *Wing) recordings(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	recs, err := sr.records(p)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIShellRecords(recs))
}

func (sr *Wing) recording(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	recs, err := sr.records(p)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	for _, rec := range recs {
		if rec.ID == r.PathValue("id") && rec.Recording != "" {
			f, err := os.Open(filepath.Join(sr.recordingsDir(), filepath.Base(rec.Recording)))
			if err != nil {
				httpx.WriteError(w, 404, "recording not found (expired)")
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "application/x-asciicast")
			w.Header().Set("Content-Disposition", `attachment; filename="`+rec.ID+`.cast"`)
			http.ServeContent(w, r, rec.ID+".cast", rec.Started, f)
			return
		}
	}
	httpx.WriteError(w, 404, "recording not found")
}

// castWriter writes an asciicast v2 recording: a JSON header line, then
// one [time, code, data] line per event. Output split mid-character is
// carried over so every line holds valid UTF-8.
type castWriter struct {
	mu    sync.Mutex // serialises writes to the file; lock order: a leaf
	f     *os.File
	w     *bufio.Writer
	start time.Time
	carry []byte
	size  int64
	input bool // keep "i" (keystroke) events
}

// maxRecording bounds one recording file.
const maxRecording = 64 << 20

func newCastWriter(dir, id string, cols, rows int, title string, input bool) (*castWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, id+".cast"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	cw := &castWriter{f: f, w: bufio.NewWriterSize(f, 8<<10), start: time.Now(), input: input}
	hdr, _ := json.Marshal(map[string]any{"version": 2, "width": cols, "height": rows, "timestamp": cw.start.Unix(),
		"title": title, "env": map[string]string{"TERM": "xterm-256color"}})
	cw.w.Write(hdr)
	cw.w.WriteByte('\n')
	return cw, nil
}

func (cw *castWriter) event(code string, data string) {
	if cw == nil {
		return
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.f == nil || cw.size > maxRecording {
		return
	}
	b, _ := json.Marshal([]any{float64(time.Since(cw.start).Microseconds()) / 1e6, code, data})
	cw.size += int64(len(b) + 1)
	cw.w.Write(b)
	cw.w.WriteByte('\n')
}

func (cw *castWriter) output(b []byte) {
	if cw == nil {
		return
	}
	cw.mu.Lock()
	data := append(cw.carry, b...)
	// Hold back an incomplete rune at the end for the next chunk.
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-3; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	cw.carry = append([]byte(nil), data[cut:]...)
	cw.mu.Unlock()
	cw.event("o", strings.ToValidUTF8(string(data[:cut]), "\uFFFD"))
}

// keys records typed input, only when the server was told to keep it.
func (cw *castWriter) keys(b []byte) {
	if cw == nil || !cw.input {
		return
	}
	cw.event("i", strings.ToValidUTF8(string(b), "\uFFFD"))
}

func (cw *castWriter) resize(cols, rows int) { cw.event("r", fmt.Sprintf("%dx%d", cols, rows)) }

func (cw *castWriter) close() {
	if cw == nil {
		return
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.f == nil {
		return
	}
	if err := cw.w.Flush(); err != nil && !errors.Is(err, os.ErrClosed) {
		_ = err
	}
	cw.f.Close()
	cw.f = nil
}

func toAPIShellRecords(rs []shellRecord) []api.ShellRecord {
	out := make([]api.ShellRecord, 0, len(rs))
	for _, r := range rs {
		out = append(out, api.ShellRecord{ID: r.ID, DeviceID: r.DeviceID, ClientID: r.ClientID, User: r.User,
			Shell: r.Shell, Started: r.Started, Ended: r.Ended, BytesIn: r.BytesIn, BytesOut: r.BytesOut,
			ExitCode: r.ExitCode, Reason: r.Reason, Recording: r.Recording, InputRecorded: r.InputRecorded})
	}
	return out
}
