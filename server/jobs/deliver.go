package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// DeviceConnected sends a reconnecting device its pending runs, expires
// the stale ones, forwards pending cancels and confirms reboots.
func (j *Wing) DeviceConnected(c *hub.Conn, prevBoot, newBoot time.Time) {
	if j.fleet.Pending(c.DeviceID) {
		// Nothing reaches a device before it is approved; runs wait.
		return
	}
	runs, err := j.st.PendingRuns(c.DeviceID)
	if err != nil {
		j.log.Error("pending runs", "device", c.DeviceID, "err", err)
		return
	}
	now := j.now()
	jobs := map[string]*jobMessage{}
	for i := range runs {
		if runs[i].CancelRequested {
			c.Send(protocol.MustEncode(protocol.TypeJobCancel, "", protocol.JobCancel{RunID: runs[i].ID}))
		}
		j.deliver(c, &runs[i], now, jobs, true)
	}
	// Boot times derived from uptime wobble by a second or two; a reboot
	// moves them by much more.
	if !prevBoot.IsZero() && newBoot.After(prevBoot.Add(30*time.Second)) {
		j.confirmReboot(c.DeviceID, newBoot)
	}
}

// deliver is the one path by which a stored run reaches a device (on
// connect, on approval, and from the sweep once a scheduled run is due).
// A queued run past its expiry ends as expired. A due queued run is sent
// by whoever moves it to sent, after that move is committed: a connect
// and a sweep racing for one run send it once. With resend, a sent or
// running run is sent again: the agent answers a run it has seen with a
// duplicate ack and its stored result, never a rerun. c nil only expires.
func (j *Wing) deliver(c *hub.Conn, r *store.Run, now time.Time, jobs map[string]*jobMessage, resend bool) {
	if r.State == protocol.StateQueued && now.After(r.Expires) {
		_, _ = j.finish(r.ID, protocol.StateExpired, "expired before the device was reachable", -1, nil)
		return
	}
	if c == nil || protocol.Terminal(r.State) || (!r.NotBefore.IsZero() && r.NotBefore.After(now)) {
		return
	}
	jm := jobs[r.JobID]
	if jm == nil {
		jb, err := j.st.Job(r.JobID)
		if err != nil {
			return
		}
		jm = j.newJobMessage(&jb)
		jobs[r.JobID] = jm
	}
	msg := jm.forRun(j, r)
	if r.State != protocol.StateQueued {
		if resend {
			c.Send(msg)
		}
		return
	}
	j.submit(j.stateOp(r.ID, "", protocol.StateSent, ""), func(res store.RunOpResult) {
		j.changed(res, protocol.StateSent)
		if res.Err == nil && res.Changed {
			c.Send(msg)
		}
	})
}

// confirmReboot marks the latest initiated reboot of a device confirmed.
func (j *Wing) confirmReboot(deviceID string, boot time.Time) {
	runs, err := j.st.DeviceRuns(deviceID, 20)
	if err != nil {
		return
	}
	for _, r := range runs {
		if r.Kind != protocol.KindPower || r.State != protocol.StateSucceeded {
			continue
		}
		var d map[string]any
		_ = json.Unmarshal(r.Data, &d)
		if d == nil || d["action"] != "reboot" || d["confirmed_boot"] != nil {
			continue
		}
		d["confirmed_boot"] = boot.UTC()
		data, _ := json.Marshal(d)
		j.submitWait(store.RunOp{RunID: r.ID, Data: data})
		j.bus.Publish(events.Event{Type: "run", ID: r.ID, JobID: r.JobID, DeviceID: deviceID, ClientID: r.ClientID,
			State: "reboot_confirmed"})
		return
	}
}

// loop expires queued runs and starts scheduled ones, on one ticker.
func (j *Wing) loop(ctx context.Context) {
	// Every 10 s: scheduled runs start within that, and the scan of pending
	// runs stays cheap for an idle server with thousands in flight.
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			j.sweep()
		}
	}
}

func (j *Wing) sweep() {
	runs, err := j.st.PendingRuns("")
	if err != nil {
		j.log.Error("sweep pending runs", "err", err)
		return
	}
	now := j.now()
	jobs := map[string]*jobMessage{}
	for i := range runs {
		r := &runs[i]
		if r.State != protocol.StateQueued {
			continue
		}
		c := j.hub.Get(r.DeviceID)
		if c != nil && j.fleet.Pending(r.DeviceID) {
			c = nil // nothing reaches a device before it is approved
		}
		j.deliver(c, r, now, jobs, false)
	}
}
