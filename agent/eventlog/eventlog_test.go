package eventlog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeRun answers every command with out and records its argv.
func fakeRun(out []byte, argvs *[][]string) Runner {
	return func(_ context.Context, argv []string) (io.ReadCloser, func() error, error) {
		*argvs = append(*argvs, argv)
		return io.NopCloser(bytes.NewReader(out)), func() error { return nil }, nil
	}
}

func collect(t *testing.T, rd reader, q protocol.EventLogQuery) ([]protocol.EventRecord, string) {
	t.Helper()
	if err := Normalize(&q); err != nil {
		t.Fatal(err)
	}
	if err := rd.check(&q); err != nil {
		t.Fatal(err)
	}
	var got []protocol.EventRecord
	next, err := rd.page(context.Background(), q, func(r protocol.EventRecord) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return got, next
}

func TestJournalArgs(t *testing.T) {
	since := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	until := since.Add(time.Hour)
	q := protocol.EventLogQuery{Units: []string{"ssh.service", "cron.service"}, Levels: []string{protocol.LevelError, protocol.LevelWarning},
		Since: since, Until: until, Cursor: "s=1;i=2", Limit: 50}
	want := []string{"journalctl", "--output=json", "--no-pager", "--quiet", "--reverse", "--lines=51", "--after-cursor=s=1;i=2",
		"--since=@1796443200", "--until=@1796446800", "--priority=3..4", "--unit=ssh.service", "--unit=cron.service"}
	if got := JournalArgs(q); !slices.Equal(got, want) {
		t.Fatalf("argv\n got %q\nwant %q", got, want)
	}
	f := JournalArgs(protocol.EventLogQuery{Follow: true, Levels: []string{protocol.LevelCritical}})
	if want := []string{"journalctl", "--output=json", "--no-pager", "--quiet", "--follow", "--lines=0", "--priority=0..2"}; !slices.Equal(f, want) {
		t.Fatalf("follow argv %q", f)
	}
	// A unit that looks like an option or holds a newline is refused.
	for _, u := range []string{"--all", "a\nb", "x y", ""} {
		q := protocol.EventLogQuery{Units: []string{u}}
		if err := (journal{}).check(&q); err == nil {
			t.Errorf("unit %q accepted", u)
		}
	}
	if err := (journal{}).check(&protocol.EventLogQuery{Channels: []string{"System"}}); err == nil || !strings.Contains(err.Error(), "channels") {
		t.Errorf("channels on journald: %v", err)
	}
}

func TestParseJournalCapture(t *testing.T) {
	var recs []protocol.EventRecord
	for _, l := range bytes.Split(bytes.TrimSpace(read(t, "journal.jsonl")), []byte("\n")) {
		r, err := ParseJournal(l)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	r := recs[0]
	if r.Level != protocol.LevelError || r.Source != "sshd" || r.Unit != "ssh.service" || r.PID != 41207 || r.Host != "web-01" ||
		!r.Time.Equal(time.UnixMicro(1764910805123456)) || !strings.HasPrefix(r.RecordID, "s=8f2c") || !strings.Contains(r.Message, "203.0.113.7") {
		t.Errorf("sshd record %+v", r)
	}
	// systemd's own message names the unit in UNIT.
	if recs[1].Unit != "apt-daily.service" || recs[1].Level != protocol.LevelInfo || recs[1].PID != 1 {
		t.Errorf("systemd record %+v", recs[1])
	}
	// A binary message (bytes, invalid UTF-8) becomes text.
	if recs[2].Message != "[ 12.3] usb 1-1: \uFFFD bad" || recs[2].Level != protocol.LevelWarning || recs[2].Source != "kernel" {
		t.Errorf("binary message %q %+v", recs[2].Message, recs[2])
	}
	// No priority reads as info; a null message as empty; _COMM as source.
	if recs[3].Level != protocol.LevelInfo || recs[3].Message != "" || recs[3].Source != "cron" {
		t.Errorf("cron record %+v", recs[3])
	}
	if _, err := ParseJournal([]byte(`{"MESSAGE":"no cursor"}`)); err == nil {
		t.Error("entry without a cursor accepted")
	}
}

func TestJournalPageCursorAndFilters(t *testing.T) {
	var argvs [][]string
	j := journal{run: fakeRun(read(t, "journal.jsonl"), &argvs)}
	got, next := collect(t, j, protocol.EventLogQuery{Limit: 2})
	if len(got) != 2 || got[0].Source != "sshd" {
		t.Fatalf("page %+v", got)
	}
	if next != got[1].RecordID {
		t.Errorf("cursor %q, want the second record's %q", next, got[1].RecordID)
	}
	if a := argvs[0]; !slices.Contains(a, "--lines=3") || !slices.Contains(a, "--reverse") {
		t.Errorf("argv %q", a)
	}
	// The last page has no cursor.
	if got, next := collect(t, j, protocol.EventLogQuery{Limit: 10}); len(got) != 4 || next != "" {
		t.Errorf("last page: %d records, cursor %q", len(got), next)
	}
	// Text is matched by the agent without case; the page is not cut by
	// --lines then.
	got, _ = collect(t, j, protocol.EventLogQuery{Text: "APT-DAILY", Limit: 1})
	if len(got) != 1 || got[0].Unit != "apt-daily.service" {
		t.Errorf("text filter %+v", got)
	}
	if a := argvs[len(argvs)-1]; slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "--lines") }) {
		t.Errorf("filtered page keeps --lines: %q", a)
	}
	// Two levels not adjacent: journalctl gets the span, the agent the rest.
	got, _ = collect(t, j, protocol.EventLogQuery{Levels: []string{protocol.LevelError, protocol.LevelInfo}})
	for _, r := range got {
		if r.Level == protocol.LevelWarning {
			t.Errorf("warning kept: %+v", r)
		}
	}
	if len(got) != 3 {
		t.Errorf("levels filter kept %d", len(got))
	}
}

func TestPredicateStaysLiteral(t *testing.T) {
	hostile := `x" OR 1 == 1 OR process == "y\`
	q := protocol.EventLogQuery{Processes: []string{"sshd", "loginwindow"}, Subsystems: []string{"com.apple.xpc"}, Category: "Standard",
		Levels: []string{protocol.LevelError, protocol.LevelCritical}, Text: hostile}
	want := `(process == "sshd" OR process == "loginwindow") AND (subsystem == "com.apple.xpc") AND category == "Standard" AND ` +
		`(messageType == error OR messageType == fault) AND eventMessage CONTAINS[c] "x\" OR 1 == 1 OR process == \"y\\"`
	if got := Predicate(q); got != want {
		t.Fatalf("predicate\n got %s\nwant %s", got, want)
	}
	now := time.Date(2026, 12, 5, 5, 30, 0, 0, time.UTC)
	args := UnifiedArgs(protocol.EventLogQuery{Processes: []string{"sshd"}, Until: now}, now)
	wantArgs := []string{"log", "show", "--style", "ndjson", "--info", "--start", "2026-12-05 04:30:00+0000", "--end", "2026-12-05 05:30:00+0000",
		"--predicate", `(process == "sshd")`}
	if !slices.Equal(args, wantArgs) {
		t.Fatalf("argv\n got %q\nwant %q", args, wantArgs)
	}
	stream := UnifiedArgs(protocol.EventLogQuery{Follow: true, Levels: []string{protocol.LevelDebug}}, now)
	if want := []string{"log", "stream", "--style", "ndjson", "--level", "debug", "--predicate", "(messageType == debug)"}; !slices.Equal(stream, want) {
		t.Fatalf("stream argv %q", stream)
	}
	for _, q := range []protocol.EventLogQuery{{Processes: []string{`a"b`}}, {Subsystems: []string{"x\ny"}}, {Levels: []string{protocol.LevelWarning}},
		{Units: []string{"ssh.service"}}, {Cursor: "!!"}} {
		if err := (unified{}).check(&q); err == nil {
			t.Errorf("accepted %+v", q)
		}
	}
	q = protocol.EventLogQuery{Text: "a\x00b"}
	if Normalize(&q) == nil {
		t.Error("control character in text accepted")
	}
}

func TestParseUnifiedCaptureAndPaging(t *testing.T) {
	var argvs [][]string
	u := unified{run: fakeRun(read(t, "unified.ndjson"), &argvs)}
	got, next := collect(t, u, protocol.EventLogQuery{Limit: 10})
	if len(got) != 3 || next != "" {
		t.Fatalf("%d records (banner and activity skipped?), cursor %q", len(got), next)
	}
	r := got[0]
	if r.Level != protocol.LevelError || r.Source != "sshd" || r.PID != 4211 || !strings.Contains(r.Message, "203.0.113.7") ||
		!r.Time.Equal(time.Date(2026, 12, 5, 5, 0, 1, 234567000, time.UTC)) || r.RecordID != "1838201635467284" {
		t.Errorf("sshd %+v", r)
	}
	if got[1].Subsystem != "com.apple.loginwindow.logging" || got[1].Category != "Standard" || got[1].Source != "loginwindow" || got[1].User != "501" || got[1].Level != protocol.LevelInfo {
		t.Errorf("loginwindow %+v", got[1])
	}
	if got[2].Level != protocol.LevelCritical || !strings.Contains(got[2].Message, `"quoted"`) {
		t.Errorf("fault %+v", got[2])
	}
	// Pages of one: two records share an instant; the cursor skips the
	// one shown, and the next page starts at that second.
	p1, c1 := collect(t, u, protocol.EventLogQuery{Limit: 1})
	p2, c2 := collect(t, u, protocol.EventLogQuery{Limit: 1, Cursor: c1})
	p3, c3 := collect(t, u, protocol.EventLogQuery{Limit: 1, Cursor: c2})
	if len(p1)+len(p2)+len(p3) != 3 || p1[0].Source != "sshd" || p2[0].Source != "loginwindow" || p3[0].Level != protocol.LevelCritical || c3 != "" {
		t.Fatalf("pages %v %v %v cursors %q %q %q", p1, p2, p3, c1, c2, c3)
	}
	if a := argvs[len(argvs)-1]; !slices.Contains(a, "2026-12-05 05:00:01+0000") {
		t.Errorf("cursor page starts %q", a)
	}
}

func TestWindowsQueryXML(t *testing.T) {
	since := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	q := protocol.EventLogQuery{Channels: []string{"System", "Microsoft-Windows-Sysmon/Operational"}, Levels: []string{protocol.LevelError, protocol.LevelInfo},
		Providers: []string{"Service Control Manager", "Microsoft-Windows-Kernel-Power"}, EventIDs: []int{7036, 41}}
	xp := XPath(q, since, since.Add(90*time.Minute))
	want := `*[System[(Level=2 or Level=0 or Level=4) and Provider[@Name='Service Control Manager' or @Name='Microsoft-Windows-Kernel-Power'] and ` +
		`(EventID=7036 or EventID=41) and TimeCreated[@SystemTime>='2026-12-04T00:00:00.000Z' and @SystemTime<='2026-12-04T01:30:00.000Z']]]`
	if xp != want {
		t.Fatalf("xpath\n got %s\nwant %s", xp, want)
	}
	sub := time.Date(2026, 12, 4, 22, 14, 7, 659312700, time.UTC)
	if got := XPath(protocol.EventLogQuery{}, sub, sub); got != "*[System[TimeCreated[@SystemTime>='2026-12-04T22:14:07.659Z' and @SystemTime<='2026-12-04T22:14:07.660Z']]]" {
		t.Errorf("sub-millisecond bounds %s", got)
	}
	if got := XPath(protocol.EventLogQuery{}, time.Time{}, time.Time{}); got != "*" {
		t.Errorf("empty filter %q", got)
	}
	x := QueryXML(protocol.EventLogQuery{EventIDs: []int{4625}, Channels: []string{"Security"}}, time.Time{}, since)
	wantX := `<QueryList><Query Id="0"><Select Path="Security">*[System[EventID=4625 and TimeCreated[@SystemTime&lt;=&#39;2026-12-04T00:00:00.000Z&#39;]]]</Select></Query></QueryList>`
	if x != wantX {
		t.Fatalf("query xml\n got %s\nwant %s", x, wantX)
	}
	if d := QueryXML(protocol.EventLogQuery{}, time.Time{}, time.Time{}); !strings.Contains(d, `Path="System"`) {
		t.Errorf("default channel %s", d)
	}
	for _, bad := range []protocol.EventLogQuery{{Providers: []string{"x' or 1=1 or @Name='y"}}, {Channels: []string{"Sys<tem"}},
		{EventIDs: []int{70000}}, {Units: []string{"ssh"}}, {Text: "x"}} {
		if err := checkWindows(&bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestParseEventXMLCaptures(t *testing.T) {
	r, err := ParseEventXML(read(t, "event-7036.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "Service Control Manager" || r.EventID != 7036 || r.Level != protocol.LevelInfo || r.Channel != "System" || r.RecordID != "48211" ||
		r.Message != "The Windows Update service entered the running state." || r.Data["param1"] != "Windows Update" || r.PID != 724 ||
		!r.Time.Equal(time.Date(2026, 12, 4, 22, 14, 7, 659312700, time.UTC)) || r.Host != "DESKTOP-7Q2K4LM" {
		t.Errorf("7036 %+v", r)
	}
	r, err = ParseEventXML(read(t, "event-4625.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// Level 0 (LogAlways) shows as information; no RenderingInfo leaves
	// the message empty but the named data whole.
	if r.Level != protocol.LevelInfo || r.EventID != 4625 || r.Channel != "Security" || r.Data["IpAddress"] != "198.51.100.23" || r.Data["TargetUserName"] != "administrator" || r.Message != "" {
		t.Errorf("4625 %+v", r)
	}
	r, err = ParseEventXML(read(t, "event-104.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Data["SubjectUserName"] != "tech" || r.Data["Channel"] != "Application" || r.User != "S-1-5-21-3623811015-3361044348-30300820-1013" {
		t.Errorf("104 UserData %+v", r)
	}
	r, err = ParseEventXML(read(t, "event-classic.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Level != protocol.LevelError || r.Message != "explorer.exe; 10.0.22621.2506; c0000005" || r.Data["param3"] != "c0000005" {
		t.Errorf("classic %+v", r)
	}
	if _, err := ParseEventXML([]byte("<Event><System></System></Event>")); err == nil {
		t.Error("event without a time accepted")
	}
}

// fakeWin serves events (newest first) whatever the query, recording it.
type fakeWin struct {
	events  [][]byte
	queries []string
}

type fakeSet struct{ evs [][]byte }

func (s *fakeSet) next(context.Context) ([]byte, error) {
	if len(s.evs) == 0 {
		return nil, io.EOF
	}
	b := s.evs[0]
	s.evs = s.evs[1:]
	return b, nil
}
func (s *fakeSet) close() {}

func (f *fakeWin) query(_ context.Context, q string, _ bool) (winResults, error) {
	f.queries = append(f.queries, q)
	return &fakeSet{evs: f.events}, nil
}

func winEvent(id int, rec int, t string) []byte {
	return []byte(`<Event><System><Provider Name='P'/><EventID>` + itoa(id) + `</EventID><Level>4</Level><TimeCreated SystemTime='` + t +
		`'/><EventRecordID>` + itoa(rec) + `</EventRecordID><Channel>System</Channel></System></Event>`)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestWindowsPagingCursor(t *testing.T) {
	const t1, t2 = "2026-12-04T10:00:00.0000000Z", "2026-12-04T09:00:00.0000000Z"
	f := &fakeWin{events: [][]byte{winEvent(1, 3, t1), winEvent(2, 2, t1), winEvent(3, 1, t2)}}
	w := winReader{src: f}
	p1, c1 := collect(t, w, protocol.EventLogQuery{Limit: 1})
	// The source replays the same events (as Windows does for <= T): the
	// pager skips what was shown at T.
	p2, c2 := collect(t, w, protocol.EventLogQuery{Limit: 1, Cursor: c1})
	p3, c3 := collect(t, w, protocol.EventLogQuery{Limit: 1, Cursor: c2})
	if len(p1) != 1 || len(p2) != 1 || len(p3) != 1 || p1[0].RecordID != "3" || p2[0].RecordID != "2" || p3[0].RecordID != "1" || c3 != "" {
		t.Fatalf("pages %v %v %v (%q %q %q)", p1, p2, p3, c1, c2, c3)
	}
	if !strings.Contains(f.queries[1], "@SystemTime&lt;=&#39;2026-12-04T10:00:00.000Z&#39;") {
		t.Errorf("second page query %s", f.queries[1])
	}
}

func TestFollowFlushesAndEndsOnCancel(t *testing.T) {
	// A follow call: records are sent as chunks; canceling ends it.
	ctx, cancel := context.WithCancel(context.Background())
	recs := make(chan []protocol.EventRecord, 8)
	rd := followFake{n: 3}
	b := &batcher{send: func(v []protocol.EventRecord) error { recs <- v; return nil }}
	done := make(chan error, 1)
	go func() { done <- follow(ctx, rd, protocol.EventLogQuery{Follow: true}, b) }()
	got := 0
	for got < 3 {
		got += len(<-recs)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v", err)
	}
}

type followFake struct{ n int }

func (followFake) system() string                      { return "fake" }
func (followFake) newestFirst() bool                   { return false }
func (followFake) check(*protocol.EventLogQuery) error { return nil }
func (followFake) page(context.Context, protocol.EventLogQuery, func(protocol.EventRecord) error) (string, error) {
	return "", nil
}
func (f followFake) follow(ctx context.Context, _ protocol.EventLogQuery, emit func(protocol.EventRecord) error) error {
	for i := range f.n {
		if err := emit(protocol.EventRecord{Message: itoa(i)}); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}
