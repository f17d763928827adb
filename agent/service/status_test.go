package service

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    AgentStatus
		wantErr bool
	}{
		{`{"connected":true,"since":"2026-05-01T10:00:00Z","server":"https://s:8443","version":"1.2.3","pid":42}`,
			AgentStatus{Connected: true, Since: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), Server: "https://s:8443", Version: "1.2.3", PID: 42}, false},
		{`{"connected":false,"future_field":1}`, AgentStatus{}, false},
		{`{"connected":"yes"}`, AgentStatus{}, true},
		{`not json`, AgentStatus{}, true},
		{`{"version":"` + strings.Repeat("x", 200) + `"}`, AgentStatus{}, true},
		{strings.Repeat(" ", maxStatusSize+1), AgentStatus{}, true},
	} {
		got, err := ParseStatus([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseStatus(%.40q) = %+v, %v; want %+v, err=%v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestWriteReadStatus(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadStatus(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := WriteStatus(dir, true, "https://s", "9.9"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStatus(dir)
	if err != nil || !got.Connected || got.Server != "https://s" || got.Version != "9.9" || got.PID != os.Getpid() || got.Since.IsZero() {
		t.Errorf("ReadStatus = %+v, %v", got, err)
	}
	fi, err := os.Stat(dir + "/" + StatusFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("status file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(`{"connected":true,"since":"2026-05-01T10:00:00Z","server":"https://s:8443","version":"1"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"since":"not a time"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatus(b)
		if err != nil && st != (AgentStatus{}) {
			t.Errorf("error %v with a non-empty status %+v", err, st)
		}
		if err == nil && (len(b) > maxStatusSize || len(st.Server) > 512 || len(st.Version) > 128) {
			t.Errorf("accepted an oversized status")
		}
	})
}
