package jobs

import (
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

func toAPISummaries(m map[string]*fleet.Summary) map[string]api.Summary {
	out := make(map[string]api.Summary, len(m))
	for k, s := range m {
		out[k] = api.Summary{Total: s.Total, Online: s.Online, Offline: s.Offline, PendingReboot: s.PendingReboot,
			WithPatches: s.WithPatches, WithSecurity: s.WithSecurity}
	}
	return out
}

func toAPIJob(j store.Job) api.Job {
	spec, _ := DecodeSpec(&j) // the server wrote it; damaged data shows as an empty spec
	out := api.Job{ID: j.ID, Kind: j.Kind, CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt, Expires: j.Expires,
		NotBefore: j.NotBefore, Spec: spec, Target: j.Target, Runs: j.Runs, Library: j.Library, States: j.States,
		Clients: j.Clients}
	if j.Script != nil {
		out.Script = &api.ScriptRef{ID: j.Script.ID, ClientID: j.Script.ClientID, Name: j.Script.Name,
			Version: j.Script.Version, SHA256: j.Script.SHA256}
	}
	return out
}

// toAPIJobs keeps nil as nil (the overview's recent_jobs is null when
// there are none, as it always was).
func toAPIJobs(js []store.Job) []api.Job {
	if js == nil {
		return nil
	}
	out := make([]api.Job, 0, len(js))
	for _, j := range js {
		out = append(out, toAPIJob(j))
	}
	return out
}

func toAPIRun(r store.Run) api.Run {
	return api.Run{ID: r.ID, JobID: r.JobID, DeviceID: r.DeviceID, ClientID: r.ClientID, Kind: r.Kind, State: r.State,
		Reason: r.Reason, ExitCode: r.ExitCode, CreatedAt: r.CreatedAt, SentAt: r.SentAt, StartedAt: r.StartedAt,
		EndedAt: r.EndedAt, Expires: r.Expires, NotBefore: r.NotBefore, Stdout: r.Stdout, Stderr: r.Stderr,
		Truncated: r.Truncated, Data: r.Data, CancelRequested: r.CancelRequested}
}

func toAPIRuns(rs []store.Run) []api.Run {
	out := make([]api.Run, 0, len(rs))
	for _, r := range rs {
		out = append(out, toAPIRun(r))
	}
	return out
}
