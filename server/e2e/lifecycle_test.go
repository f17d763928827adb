//go:build linux

package e2e_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// serverFrame matches a stack frame or "created by" line of the server's
// own packages (not these tests).
var serverFrame = regexp.MustCompile(`(?m)^(created by )?github\.com/steward-rmm/steward/server(/(hub|fleet|events|store|pki))?\.`)

// serverGoroutines returns the stacks of the goroutines running or
// started by the server's packages, by goroutine header.
func serverGoroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if serverFrame.MatchString(g) {
			head, _, _ := strings.Cut(g, " [")
			out[head] = g
		}
	}
	return out
}

// leftOver returns the server goroutines not in before. A goroutine that
// is returning may still be listed for a moment, so the check yields the
// processor a few times (no sleeping, no clock) before it reports.
func leftOver(before map[string]string) []string {
	var left []string
	for range 100 {
		left = left[:0]
		for head, g := range serverGoroutines() {
			if _, ok := before[head]; !ok {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return nil
		}
		runtime.Gosched()
	}
	return left
}

// storeReleased says whether the data folder's database can be opened,
// which bbolt's file lock allows only once the server closed it.
func storeReleased(t *testing.T, dir string) {
	t.Helper()
	db, err := boltstore.Open(dir)
	if err != nil {
		t.Fatalf("the store is still held after Run returned: %v", err)
	}
	db.Close()
}

// TestRunStopsEverythingBeforeReturning starts a server with both
// listeners and a metrics listener, connects an agent, runs a job, holds
// an event stream open, then cancels: Run returns, nothing the server
// started still runs, and the store is closed.
func TestRunStopsEverythingBeforeReturning(t *testing.T) {
	before := serverGoroutines()
	e := startServer(t, server.Config{AgentListen: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"})
	dir, id, a := onlineAgentAt(t, e, e.createClient("Acme"))
	j := e.createJob(script([]string{id}, "echo lifecycle"))
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	if o := e.output(r.ID); o.Stdout != "lifecycle\n" {
		t.Fatalf("output %q", o.Stdout)
	}
	// An event stream stays open until the server ends it.
	req, _ := http.NewRequest("GET", e.url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", err, resp)
	}
	defer resp.Body.Close()
	streamEnded := make(chan struct{})
	go func() {
		defer close(streamEnded)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	}()
	a.stop() // the agent's own goroutines are not the server's
	// A device websocket that never sends its hello: shutdown ends the
	// server's wait for it (which alone would last 15 s).
	idt, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{TLSClientConfig: pinnedTLS(e.fp, &idt.Cert), HandshakeTimeout: 10 * time.Second}
	silent, _, err := d.Dial("wss://"+e.srv.AgentAddr()+"/agent/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	e.cancel = nil
	if left := leftOver(before); len(left) > 0 {
		t.Fatalf("%d server goroutines still run after Run returned:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	storeReleased(t, e.dir)
	<-streamEnded
}

// onlineAgentAt is onlineAgent for a server whose agents connect to its
// --agent-listen address.
func onlineAgentAt(t *testing.T, e *env, client string) (string, string, *runningAgent) {
	t.Helper()
	dir := t.TempDir()
	idt, err := identity.Enroll(identity.EnrollOptions{Dir: dir, Server: "https://" + e.srv.AgentAddr(),
		Token: e.enrollToken(client, 1, 0), Fingerprint: e.fp, Hostname: "h", OS: "linux", Arch: "amd64"})
	if err != nil {
		t.Fatalf("enroll through the agent port: %v", err)
	}
	a := startAgent(t, dir, agent.Config{})
	waitFor(t, "agent online", func() bool { return e.online(idt.Config.DeviceID) })
	return dir, idt.Config.DeviceID, a
}

// TestRunListenFailureLeavesNothingRunning: a listener that cannot bind
// makes Run return its error, with nothing started and the store closed.
func TestRunListenFailureLeavesNothingRunning(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	before := serverGoroutines()
	dir := t.TempDir()
	srv, err := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", MetricsAddr: taken.Addr().String()}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen metrics") {
		t.Fatalf("Run = %v, want the metrics listener's error", err)
	}
	if left := leftOver(before); len(left) > 0 {
		t.Fatalf("%d server goroutines still run after Run failed:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	storeReleased(t, dir)
}

// TestQueuedRunDeliveredOnceOnReconnect: runs queued while a device was
// offline, one of them scheduled and already due, each reach it exactly
// once when it connects, whichever of the connect and the sweep gets
// there first; a job created afterwards follows them on the same
// connection, so everything sent before it has been counted.
func TestQueuedRunDeliveredOnceOnReconnect(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	queued := e.createJob(script([]string{id}, "echo queued"))
	due := script([]string{id}, "echo due")
	due["at"] = time.Now().Add(time.Second)
	scheduled := e.createJob(due)
	time.Sleep(1500 * time.Millisecond) // the scheduled run comes due while the device is offline
	ws, welcome := rawAgent(t, e, dir, protocol.Version)
	if welcome.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", welcome.Type)
	}
	got := map[string]int{}
	read := func(until func() bool) {
		t.Helper()
		for !until() {
			_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, b, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v (jobs so far %v)", err, got)
			}
			env, err := protocol.Decode(b, protocol.MaxServerFrame)
			if err != nil || env.Type != protocol.TypeJob {
				continue
			}
			var j protocol.Job
			if err := protocol.DecodeData(env, &j); err != nil {
				t.Fatal(err)
			}
			got[j.RunID]++
		}
	}
	a, s := queued.Runs[0].ID, scheduled.Runs[0].ID
	read(func() bool { return got[a] > 0 && got[s] > 0 })
	marker := e.createJob(script([]string{id}, "echo marker"))
	read(func() bool { return got[marker.Runs[0].ID] > 0 })
	if got[a] != 1 || got[s] != 1 || len(got) != 3 {
		t.Fatalf("deliveries %v, want each of %s, %s, %s once", got, a, s, marker.Runs[0].ID)
	}
	for _, r := range []string{a, s} {
		if st := e.run(r).State; st != protocol.StateSent {
			t.Errorf("run %s is %s, want sent", r, st)
		}
	}
}
