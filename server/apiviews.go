package server

import (
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// The conversions from store records and fleet views to the REST types of
// package api. Every response body is built here or from api types, never
// by writing out a record, so a secret a record holds (token and password
// hashes, TOTP secrets) has no field to leak through.

func toAPIClient(c store.Client) api.Client {
	return api.Client{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt}
}

func toAPIClients(cs []store.Client) []api.Client {
	out := make([]api.Client, 0, len(cs))
	for _, c := range cs {
		out = append(out, toAPIClient(c))
	}
	return out
}

func toAPIEnrollToken(t store.EnrollToken) api.EnrollToken {
	return api.EnrollToken{ID: t.ID, ClientID: t.ClientID, Note: t.Note, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy,
		ExpiresAt: t.ExpiresAt, MaxUses: t.MaxUses, Uses: t.Uses, Revoked: t.Revoked, RequireApproval: t.RequireApproval}
}

func toAPIDevice(v fleet.View) api.Device {
	d := api.Device{ID: v.ID, Hostname: v.Hostname, Online: v.Online, LastSeen: v.LastSeen, OfflineSince: v.OfflineSince,
		Client: v.Client, ClientName: v.ClientName, Group: v.Group, OS: v.OS, Platform: v.Platform, OSVersion: v.OSVersion,
		Arch: v.Arch, DeviceType: v.DeviceType, AgentVersion: v.AgentVersion, PendingReboot: v.PendingReboot,
		PatchesAvail: v.PatchesAvail, SecurityPatches: v.SecurityPatches, LastUser: v.LastUser, LastUserAt: v.LastUserAt,
		IPs: v.IPs, MACs: v.MACs, EnrolledAt: v.EnrolledAt, BootTime: v.BootTime, Heartbeat: v.Heartbeat,
		Approval: v.Approval, DuplicateOf: v.DuplicateOf, DuplicateElsewhere: v.DuplicateElsewhere, MachineID: v.MachineID,
		ApprovedBy: v.ApprovedBy, ApprovedAt: v.ApprovedAt}
	for _, t := range v.Transitions {
		d.Transitions = append(d.Transitions, api.Transition{Online: t.Online, At: t.At, Reason: t.Reason})
	}
	return d
}

func toAPIDevices(vs []fleet.View) []api.Device {
	out := make([]api.Device, 0, len(vs))
	for _, v := range vs {
		out = append(out, toAPIDevice(v))
	}
	return out
}

func toAPISummaries(m map[string]*fleet.Summary) map[string]api.Summary {
	out := make(map[string]api.Summary, len(m))
	for k, s := range m {
		out[k] = api.Summary{Total: s.Total, Online: s.Online, Offline: s.Offline, PendingReboot: s.PendingReboot,
			WithPatches: s.WithPatches, WithSecurity: s.WithSecurity}
	}
	return out
}

func toAPIJob(j store.Job) api.Job {
	spec, _ := jobSpec(&j) // the server wrote it; damaged data shows as an empty spec
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

func toAPIScript(v scriptView) api.Script {
	sc := v.Script
	return api.Script{ID: sc.ID, ClientID: sc.ClientID, Name: sc.Name, Version: sc.Version, Interpreter: sc.Interpreter,
		Description: sc.Description, Body: sc.Body, Args: sc.Args, SHA256: sc.SHA256, UpdatedAt: sc.UpdatedAt,
		UpdatedBy: sc.UpdatedBy, Deleted: sc.Deleted, ClientName: v.ClientName, Versions: v.Versions}
}

func toAPIAuditEvents(evs []store.AuditEvent) []api.AuditEvent {
	out := make([]api.AuditEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, api.AuditEvent{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
			Detail: e.Detail, Source: e.Source, Prev: e.Prev, Hash: e.Hash, MAC: e.MAC, Client: e.Client})
	}
	return out
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

func toAPIUpdateTargets(ts []store.UpdateTarget) []api.UpdateTarget {
	out := make([]api.UpdateTarget, 0, len(ts))
	for _, t := range ts {
		out = append(out, api.UpdateTarget{Scope: t.Scope, ID: t.ID, Version: t.Version, SetBy: t.SetBy, SetAt: t.SetAt})
	}
	return out
}

func toAPIUser(u store.User) api.User {
	cl := u.Clients
	if cl == nil {
		cl = []string{}
	}
	return api.User{ID: u.ID, Name: u.Name, Role: u.Role, AllClients: u.AllClients, Clients: cl, Disabled: u.Disabled,
		TOTPEnabled: u.TOTPSecret != "", CreatedAt: u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

func toAPIToken(t store.APIToken) api.APIToken {
	return api.APIToken{ID: t.ID, Name: t.Name, Perms: t.Perms, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Revoked: t.Revoked}
}
