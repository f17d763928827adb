package jobs

import (
	"bytes"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// TestJobMessageTemplateMatchesEncodedMessage: the message spliced from a
// job's template decodes to exactly what encoding the run's message on
// its own gives, also for a script whose body holds the text the template
// is cut at, hostile characters, and a run whose expiry or ID differ from
// the template's (those fall back to their own encoding).
func TestJobMessageTemplateMatchesEncodedMessage(t *testing.T) {
	j := New(Deps{Metrics: noMetrics{}, Now: time.Now, Log: slog.New(slog.DiscardHandler)})
	now := time.Now().UTC().Truncate(time.Millisecond)
	body := "echo '\"data\":{\"run_id\":\"\"' </script> & \\ \u2028 \x01"
	spec, err := EncodeSpec(protocol.Job{Kind: protocol.KindScript, Timeout: 30,
		Script: &protocol.ScriptSpec{Interpreter: "sh", Body: body}})
	if err != nil {
		t.Fatal(err)
	}
	job := store.Job{ID: httpx.NewID("j"), Kind: protocol.KindScript, Spec: spec, Expires: now.Add(time.Hour)}
	m := j.newJobMessage(&job)
	if !m.ok {
		t.Fatal("no template for a plain script job")
	}
	runs := []store.Run{
		{ID: httpx.NewID("r"), JobID: job.ID, Expires: job.Expires},
		{ID: httpx.NewID("r"), JobID: job.ID, Expires: job.Expires},
		{ID: httpx.NewID("r"), JobID: job.ID, Expires: job.Expires.Add(time.Minute)}, // differs: own encoding
		{ID: "r_\"<odd>\"", JobID: job.ID, Expires: job.Expires},                     // needs escaping: own encoding
	}
	for i := range runs {
		got, want := decodeJob(t, m.forRun(j, &runs[i])), decodeJob(t, j.message(&job, &runs[i]))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: template gives\n%+v\nits own encoding\n%+v", i, got, want)
		}
		if got.RunID != runs[i].ID || got.Script == nil || got.Script.Body != body || !got.Expires.Equal(runs[i].Expires) {
			t.Fatalf("run %d: message %+v", i, got)
		}
	}
	// The template is shared: one run's message never shows in another's.
	a, b := m.forRun(j, &runs[0]), m.forRun(j, &runs[1])
	if bytes.Contains(a, []byte(runs[1].ID)) || bytes.Contains(b, []byte(runs[0].ID)) {
		t.Fatal("a run's message holds another run's ID")
	}
}

func decodeJob(t *testing.T, b []byte) protocol.Job {
	t.Helper()
	env, err := protocol.Decode(b, protocol.MaxAgentFrame)
	if err != nil || env.Type != protocol.TypeJob {
		t.Fatalf("decode %s: %v", b, err)
	}
	var m protocol.Job
	if err := protocol.DecodeData(env, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// BenchmarkJobMessage compares a run's message encoded on its own (the
// stored spec decoded and the message encoded per device) with the
// template's splice.
func BenchmarkJobMessage(b *testing.B) {
	j := New(Deps{Metrics: noMetrics{}, Now: time.Now, Log: slog.New(slog.DiscardHandler)})
	spec, _ := EncodeSpec(protocol.Job{Kind: protocol.KindScript, Timeout: 30,
		Script: &protocol.ScriptSpec{Interpreter: "sh", Body: "echo hello; uname -a; df -h"}})
	job := store.Job{ID: httpx.NewID("j"), Kind: protocol.KindScript, Spec: spec, Expires: time.Now().Add(time.Hour)}
	r := store.Run{ID: httpx.NewID("r"), JobID: job.ID, Expires: job.Expires}
	b.Run("per-run", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			j.message(&job, &r)
		}
	})
	m := j.newJobMessage(&job)
	b.Run("template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.forRun(j, &r)
		}
	})
}
