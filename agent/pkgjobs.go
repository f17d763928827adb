// Job kinds of the device toolbox: packages through the OS's package
// manager (pkgmgr) and a message to the logged-in users (message.go).

package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/steward-rmm/steward/agent/notify"
	"github.com/steward-rmm/steward/agent/pkgmgr"
	"github.com/steward-rmm/steward/protocol"
)

// runPackage installs, upgrades or removes packages with the job's
// manager or the one found on this device. The names are validated for
// that manager before anything runs.
func (a *Agent) runPackage(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Package == nil {
		return failed("package job without packages")
	}
	goos := runtime.GOOS
	m := j.Package.Manager
	switch {
	case m == "":
		m = pkgmgr.Detect(goos, func(exe string) bool { _, err := pkgmgr.Look(exe); return err == nil })
		if m == "" {
			return failed(fmt.Sprintf("%v on this %s device", pkgmgr.ErrNoManager, goos))
		}
	case !pkgmgr.ForOS(goos, m):
		return failed(fmt.Sprintf("package manager %s is not used on %s", m, goos))
	}
	plan, err := pkgmgr.Build(m, j.Package.Action, j.Package.Packages)
	if err != nil {
		return failed(err.Error())
	}
	code, err := pkgmgr.Run(ctx, plan, out)
	data, _ := json.Marshal(protocol.PackageResult{Manager: m, Action: j.Package.Action, Packages: j.Package.Packages})
	res := protocol.JobResult{State: protocol.StateSucceeded, ExitCode: code, Data: data}
	if err != nil {
		res.State, res.Reason = protocol.StateFailed, err.Error()
	}
	return res
}

// runMessage shows the job's message to the logged-in users; the run's
// data carries each user's answer (yes, no, ok, timeout; "shown" where
// the OS cannot ask).
func (a *Agent) runMessage(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Message == nil {
		return failed("message job without a message")
	}
	if err := protocol.CheckMessageJob(j.Message); err != nil {
		return failed(err.Error())
	}
	answers, err := notify.Send(ctx, *j.Message)
	if err != nil {
		return failed(err.Error())
	}
	if answers == nil {
		answers = []protocol.MessageAnswer{}
	}
	for _, an := range answers {
		line := an.User + " (" + an.Session + "): " + an.Answer
		if an.Error != "" {
			line += ": " + an.Error
		}
		out("stdout", []byte(line+"\n"))
	}
	if len(answers) == 0 {
		out("stdout", []byte("nobody is logged in\n"))
	}
	data, _ := json.Marshal(protocol.MessageResult{Answers: answers})
	return protocol.JobResult{State: protocol.StateSucceeded, Data: data}
}
