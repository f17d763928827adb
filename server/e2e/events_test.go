//go:build linux

package e2e_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

type streamEvent struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	DeviceID string `json:"device_id"`
	JobID    string `json:"job_id"`
	State    string `json:"state"`
}

// events opens the event stream with a bearer token and returns its
// events; the stream is live when this returns.
func (e *env) events(token string) <-chan streamEvent {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	hc := *e.hc
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("event stream: %v %v", err, resp)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	sc := bufio.NewScanner(resp.Body)
	// The server subscribes before it writes its first line.
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "retry:") {
		e.t.Fatalf("event stream starts with %q", sc.Text())
	}
	ch := make(chan streamEvent, 1024)
	go func() {
		defer close(ch)
		for sc.Scan() {
			if b, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev streamEvent
				if json.Unmarshal([]byte(b), &ev) == nil {
					ch <- ev
				}
			}
		}
	}()
	return ch
}

// until collects events until one matches marker (events are delivered in
// the order they were published, so everything published before the
// marker has arrived by then).
func until(t *testing.T, ch <-chan streamEvent, marker func(streamEvent) bool) []streamEvent {
	t.Helper()
	var got []streamEvent
	limit := time.After(60 * time.Second) // a hang guard, not an assertion
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended; got %+v", got)
			}
			got = append(got, ev)
			if marker(ev) {
				return got
			}
		case <-limit:
			t.Fatalf("marker event never came; got %+v", got)
		}
	}
}

// TestEventStreamScopedToClient: a user scoped to Alpha receives no event
// about Bravo's jobs, runs or devices; an all-client admin receives both.
func TestEventStreamScopedToClient(t *testing.T) {
	e := startServer(t, serverConfig())
	alpha, bravo := e.createClient("Alpha"), e.createClient("Bravo")
	_, devA, _ := onlineAgent(t, e, alpha, agentConfig())
	_, devB, _ := onlineAgent(t, e, bravo, agentConfig())
	e.createUser("alpha-tech", "technician", alpha)
	alphaStream := e.events(e.tokenFor("alpha-tech"))
	adminStream := e.events(e.token)

	// Bravo: a job and its run, and a device change.
	jobB := e.createJob(script([]string{devB}, "echo bravo"))
	e.waitState(jobB.Runs[0].ID, protocol.StateSucceeded)
	if code, body := e.patchRaw(t, e.token, "/api/v1/devices/"+devB, []byte(`{"group":"bravo-folder"}`)); code != 200 {
		t.Fatalf("patch Bravo device: %d %s", code, body)
	}
	// Alpha: a job, then a device change as the marker.
	jobA := e.createJob(script([]string{devA}, "echo alpha"))
	e.waitState(jobA.Runs[0].ID, protocol.StateSucceeded)
	if code, body := e.patchRaw(t, e.token, "/api/v1/devices/"+devA, []byte(`{"group":"alpha-folder"}`)); code != 200 {
		t.Fatalf("patch Alpha device: %d %s", code, body)
	}
	marker := func(ev streamEvent) bool { return ev.Type == "device" && ev.ID == devA && ev.State == "updated" }

	about := func(evs []streamEvent, ids ...string) []streamEvent {
		var out []streamEvent
		for _, ev := range evs {
			for _, id := range ids {
				if id != "" && (ev.ID == id || ev.DeviceID == id || ev.JobID == id || ev.ClientID == id) {
					out = append(out, ev)
					break
				}
			}
		}
		return out
	}
	got := until(t, alphaStream, marker)
	if leaked := about(got, bravo, devB, jobB.Job.ID, jobB.Runs[0].ID); len(leaked) > 0 {
		t.Errorf("a user scoped to Alpha received Bravo events: %+v", leaked)
	}
	if len(about(got, jobA.Job.ID)) == 0 || len(about(got, jobA.Runs[0].ID)) == 0 {
		t.Errorf("the Alpha user missed Alpha's job or run: %+v", got)
	}
	got = until(t, adminStream, marker)
	for _, id := range []string{jobB.Job.ID, jobB.Runs[0].ID, devB, jobA.Job.ID} {
		if len(about(got, id)) == 0 {
			t.Errorf("the all-client admin missed events about %s: %+v", id, got)
		}
	}
}
