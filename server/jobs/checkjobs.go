package jobs

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// monitoring is who script checks' jobs are created by: the alerts wing
// runs them for the checks in force, not on a person's behalf.
var monitoring = &httpx.Principal{Name: "monitoring", Role: "system", AllClients: true, Perms: []string{httpx.PermRun}, Via: "monitoring"}

// RunCheck starts a script check's library script (NAME@VERSION) on one
// device as an ordinary script job whose target names the check, and
// returns its run's ID.
func (j *Wing) RunCheck(deviceID, library, check string) (string, error) {
	req := jobRequest{Kind: protocol.KindScript, Devices: []string{deviceID}, Library: library}
	views, _, err := j.targets(monitoring, &req)
	if err != nil {
		return "", fmt.Errorf("script check %s on %s: %w", check, deviceID, err)
	}
	sc, code, msg := j.library.Library(monitoring, library, views)
	if code != 0 {
		return "", fmt.Errorf("script check %s: %s", check, msg)
	}
	spec, ref, err := j.validate(&req, &sc)
	if err != nil {
		return "", fmt.Errorf("script check %s: %w", check, err)
	}
	_, runs, err := j.create(monitoring, &req, views, "check "+check, spec, ref)
	if err != nil {
		return "", err
	}
	if len(runs) != 1 {
		return "", errors.New("script check: no run created")
	}
	return runs[0].ID, nil
}

// CheckResult reports a script check's run: done once it is terminal,
// with its state, exit code and the first line of its output (at most
// 200 bytes).
func (j *Wing) CheckResult(runID string) (done bool, state string, exit int, firstLine string, err error) {
	r, err := j.st.Run(runID)
	if err != nil {
		return false, "", 0, "", err
	}
	if !store.Terminal(r.State) {
		return false, r.State, 0, "", nil
	}
	out, _, err := j.st.Output(runID, "stdout", 0, 200)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return true, r.State, r.ExitCode, "", err
	}
	if i := bytes.IndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	if r.Reason != "" && len(out) == 0 {
		out = []byte(r.Reason)
	}
	return true, r.State, r.ExitCode, httpx.CleanText(string(out), 200), nil
}
