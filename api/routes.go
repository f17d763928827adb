package api

import "github.com/steward-rmm/steward/protocol"

// Auth values of Route.Auth besides a permission name.
const (
	AuthPublic  = "public"  // no credentials
	AuthAgent   = "agent"   // the agent's client certificate
	AuthPartial = "partial" // a session that has passed only the password
)

// Route is one route of the server's HTTP API as the OpenAPI document
// shows it. The server's tests check that this list and the server's
// route table name the same routes with the same policies.
type Route struct {
	Method, Path string
	// Auth is AuthPublic, AuthAgent, AuthPartial or the operator
	// permission the route needs; Fresh adds a recent second factor.
	Auth    string
	Fresh   bool
	Summary string
	// Query lists the query parameters the route reads.
	Query []string
	// Request is a value of the JSON body's type (nil: no body).
	Request any
	// Response is a value of the JSON answer's type (nil: not JSON, see
	// ContentType; with a ContentType, the type of each streamed item);
	// Status is the success status.
	Response    any
	Status      int
	ContentType string
	// RequestContentType is the type of a raw (non-JSON) request body,
	// such as an upload's bytes.
	RequestContentType string
}

// Routes is every route of the server's HTTP API.
func Routes() []Route {
	view, clients, users, audit, admin := "view", "clients", "users", "audit", "admin"
	return []Route{
		{Method: "GET", Path: "/healthz", Auth: AuthPublic, Summary: "Liveness and connected agent count", Response: Healthz{}},
		{Method: "POST", Path: "/agent/enroll", Auth: AuthPublic, Summary: "Enroll an agent with an enrollment token",
			Request: protocol.EnrollRequest{}, Response: protocol.EnrollResponse{}},
		{Method: "GET", Path: "/agent/ws", Auth: AuthAgent, Summary: "The agent's websocket (protocol envelopes)", Status: 101},
		{Method: "GET", Path: "/agent/ca.pem", Auth: AuthPublic, Summary: "The Steward CA certificate", ContentType: "application/x-pem-file"},
		{Method: "GET", Path: "/agent/download/{os}/{file}", Auth: AuthPublic, Summary: "An agent binary, or its SHA-256 (file ARCH.sha256)",
			ContentType: "application/octet-stream"},
		{Method: "GET", Path: "/agent/update/{version}/{file}", Auth: AuthAgent, Summary: "A file of a signed agent release",
			ContentType: "application/octet-stream"},
		{Method: "GET", Path: "/install.sh", Auth: AuthPublic, Summary: "Install script for Linux and macOS", Query: []string{"token"},
			ContentType: "text/x-shellscript"},
		{Method: "GET", Path: "/install.ps1", Auth: AuthPublic, Summary: "Install script for Windows", Query: []string{"token"},
			ContentType: "text/plain"},
		{Method: "GET", Path: "/install/ca.pem", Auth: AuthPublic, Summary: "The CA install.sh pins, when pinned by a CA",
			ContentType: "application/x-pem-file"},
		{Method: "GET", Path: "/api/v1/agent-builds", Auth: view, Summary: "Platforms this server has an agent build for (one-line installs need one)",
			Response: AgentBuilds{}},
		{Method: "GET", Path: "/api/v1/openapi.json", Auth: AuthPublic, Summary: "This document", ContentType: "application/json"},

		{Method: "POST", Path: "/api/v1/auth/login", Auth: AuthPublic, Summary: "Password login; starts a session (cookie)",
			Request: LoginRequest{}, Response: LoginResponse{}},
		{Method: "POST", Path: "/api/v1/auth/token", Auth: AuthPublic, Summary: "Password (and code) login returning an API token",
			Request: LoginTokenRequest{}, Response: LoginTokenResponse{}, Status: 201},
		{Method: "POST", Path: "/api/v1/auth/totp", Auth: AuthPartial, Summary: "Prove the second factor",
			Request: CodeRequest{}, Response: TOTPResponse{}},
		{Method: "POST", Path: "/api/v1/auth/totp/setup", Auth: AuthPartial, Summary: "Start two-factor enrolment",
			Response: TOTPSetupResponse{}},
		{Method: "POST", Path: "/api/v1/auth/totp/confirm", Auth: AuthPartial, Summary: "Finish two-factor enrolment",
			Request: CodeRequest{}, Response: TOTPConfirmResponse{}},
		{Method: "POST", Path: "/api/v1/auth/logout", Auth: AuthPartial, Summary: "End this session", Response: OK{}},
		{Method: "POST", Path: "/api/v1/auth/logout-all", Auth: view, Summary: "End every session and token of the caller", Response: OK{}},
		{Method: "GET", Path: "/api/v1/me", Auth: view, Summary: "The caller", Response: Me{}},
		{Method: "PUT", Path: "/api/v1/me/password", Auth: view, Summary: "Change the caller's password",
			Request: PasswordChange{}, Response: PasswordChanged{}},
		{Method: "POST", Path: "/api/v1/me/totp/disable", Auth: view, Fresh: true, Summary: "Turn the caller's two-factor off",
			Response: TOTPDisableResponse{}},
		{Method: "GET", Path: "/api/v1/me/prefs", Auth: view, Summary: "The caller's dashboard preferences", Response: Prefs{}},
		{Method: "PUT", Path: "/api/v1/me/prefs", Auth: view, Summary: "Replace the caller's dashboard preferences",
			Request: Prefs{}, Response: Prefs{}},
		{Method: "GET", Path: "/api/v1/me/tokens", Auth: view, Summary: "The caller's API tokens", Response: []APIToken{}},
		{Method: "POST", Path: "/api/v1/me/tokens", Auth: view, Fresh: true, Summary: "Mint an API token",
			Request: MintTokenRequest{}, Response: CreatedAPIToken{}, Status: 201},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Auth: view, Summary: "Revoke one of the caller's tokens", Response: Revoked{}},
		{Method: "GET", Path: "/api/v1/users", Auth: users, Summary: "Users the caller manages", Response: []User{}},
		{Method: "POST", Path: "/api/v1/users", Auth: users, Summary: "Create a user", Request: CreateUserRequest{},
			Response: User{}, Status: 201},
		{Method: "GET", Path: "/api/v1/users/{id}", Auth: users, Summary: "One user", Response: User{}},
		{Method: "PATCH", Path: "/api/v1/users/{id}", Auth: users, Summary: "Change a user's role, scope, state or password",
			Request: UpdateUserRequest{}, Response: User{}},
		{Method: "POST", Path: "/api/v1/users/{id}/reset-2fa", Auth: users, Fresh: true, Summary: "Remove a user's two-factor",
			Response: User{}},

		{Method: "GET", Path: "/api/v1/overview", Auth: view, Summary: "Device counts and recent jobs", Response: Overview{}},
		{Method: "GET", Path: "/api/v1/events", Auth: view, Summary: "Server-sent events: device and job changes (each data line is an Event)",
			Response: Event{}, ContentType: "text/event-stream"},
		{Method: "GET", Path: "/api/v1/clients", Auth: view, Summary: "Clients in the caller's scope", Response: []Client{}},
		{Method: "POST", Path: "/api/v1/clients", Auth: clients, Summary: "Create a client", Request: CreateClientRequest{},
			Response: Client{}, Status: 201},
		{Method: "GET", Path: "/api/v1/tokens", Auth: clients, Summary: "Enrollment tokens", Response: []EnrollToken{}},
		{Method: "POST", Path: "/api/v1/tokens", Auth: clients, Summary: "Create an enrollment token",
			Request: CreateEnrollTokenRequest{}, Response: EnrollTokenCreated{}, Status: 201},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Auth: clients, Summary: "Revoke an enrollment token", Response: EnrollToken{}},
		{Method: "GET", Path: "/api/v1/devices", Auth: view, Summary: "Devices, filtered, sorted and paged",
			Query: []string{"client", "os", "search", "type", "group", "approval", "online", "pending_reboot", "has_patches",
				"security", "sort", "order", "limit", "offset", "format"}, Response: DeviceList{}},
		{Method: "GET", Path: "/api/v1/devices/{id}", Auth: view, Summary: "A device with inventory and health", Response: DeviceDetail{}},
		{Method: "DELETE", Path: "/api/v1/devices/{id}", Auth: clients, Summary: "Revoke a device", Response: DeviceRevoked{}},
		{Method: "PATCH", Path: "/api/v1/devices/{id}", Auth: clients, Summary: "Move a device to a folder",
			Request: UpdateDeviceRequest{}, Response: DeviceResponse{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/approve", Auth: clients, Summary: "Approve a pending device",
			Query: []string{"revoke_duplicate"}, Response: DeviceResponse{}},
		{Method: "GET", Path: "/api/v1/groups", Auth: view, Summary: "Folders in use", Response: []GroupCount{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/runs", Auth: view, Summary: "A device's latest runs", Response: []Run{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/shell", Auth: "shell", Fresh: true, Summary: "Shell websocket (needs a ticket)",
			Query: []string{"ticket", "cols", "rows", "shell"}, Status: 101},
		{Method: "POST", Path: "/api/v1/devices/{id}/shell/ticket", Auth: "shell", Fresh: true, Summary: "A single-use shell ticket",
			Response: ShellTicket{}, Status: 201},
		{Method: "POST", Path: "/api/v1/devices/{id}/refresh", Auth: view, Summary: "Ask a device to report now",
			Query: []string{"what"}, Response: RefreshRequested{}, Status: 202},
		{Method: "GET", Path: "/api/v1/software", Auth: view, Summary: "Devices with a package (optionally below a version)",
			Query: []string{"name", "below"}, Response: []SoftwareHit{}},
		{Method: "POST", Path: "/api/v1/jobs", Auth: view, Summary: "Create a job (the kind's permission is checked inside)",
			Request: JobRequest{}, Response: JobResponse{}, Status: 201},
		{Method: "GET", Path: "/api/v1/jobs", Auth: view, Summary: "Latest jobs", Query: []string{"limit", "kind"}, Response: []Job{}},
		{Method: "GET", Path: "/api/v1/jobs/{id}", Auth: view, Summary: "A job and its runs", Query: []string{"runs", "wait"},
			Response: JobResponse{}},
		{Method: "POST", Path: "/api/v1/jobs/{id}/cancel", Auth: view, Summary: "Cancel a job's unfinished runs", Response: Cancelled{}},
		{Method: "GET", Path: "/api/v1/runs/{id}", Auth: view, Summary: "A run", Response: Run{}},
		{Method: "GET", Path: "/api/v1/runs/{id}/output", Auth: view, Summary: "A run's output from an offset",
			Query: []string{"stdout_from", "stderr_from", "wait"}, Response: RunOutput{}},
		{Method: "POST", Path: "/api/v1/runs/{id}/cancel", Auth: view, Summary: "Cancel a run", Response: Run{}},
		{Method: "GET", Path: "/api/v1/scripts", Auth: view, Summary: "Library scripts", Query: []string{"client", "global"},
			Response: []Script{}},
		{Method: "POST", Path: "/api/v1/scripts", Auth: "run", Summary: "Save a script (a new version when it exists)",
			Request: ScriptRequest{}, Response: Script{}, Status: 201},
		{Method: "GET", Path: "/api/v1/scripts/{script}", Auth: view, Summary: "A script by ID or name, with its versions",
			Query: []string{"client", "version"}, Response: Script{}},
		{Method: "DELETE", Path: "/api/v1/scripts/{script}", Auth: "run", Summary: "Delete a script", Query: []string{"client"},
			Response: ScriptDeleted{}},
		{Method: "GET", Path: "/api/v1/audit", Auth: audit, Summary: "Audit log", Query: []string{"after", "limit", "action", "actor", "client"},
			Response: []AuditEvent{}},
		{Method: "GET", Path: "/api/v1/audit/verify", Auth: audit, Summary: "Verify the audit chain", Response: AuditVerify{}},
		{Method: "GET", Path: "/api/v1/shells", Auth: "recordings", Summary: "Shell sessions", Response: []ShellRecord{}},
		{Method: "GET", Path: "/api/v1/shells/{id}/recording", Auth: "recordings", Summary: "A shell recording (asciicast v2)",
			ContentType: "application/x-asciicast"},
		{Method: "GET", Path: "/api/v1/releases", Auth: view, Summary: "Agent releases", Response: Releases{}},
		{Method: "GET", Path: "/api/v1/updates", Auth: view, Summary: "Agent update targets and results", Response: Updates{}},
		{Method: "POST", Path: "/api/v1/updates", Auth: admin, Summary: "Set an agent update target",
			Request: SetUpdateRequest{}, Response: SetUpdateResponse{}},
		{Method: "GET", Path: "/metrics", Auth: admin, Summary: "Prometheus metrics", ContentType: "text/plain"},
		{Method: "GET", Path: "/debug/pprof/{name...}", Auth: admin, Summary: "Go profiles", ContentType: "application/octet-stream"},
		{Method: "GET", Path: "/api/v1/devices/{id}/files", Auth: "files_read", Summary: "A page of a folder on the device (folders first, by name)",
			Query: []string{"path", "cursor", "limit"}, Response: FileList{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/files/search", Auth: "files_read", Summary: "Entries named like name under a folder",
			Query: []string{"path", "name", "depth", "limit"}, Response: FileSearch{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/files/download", Auth: "files_read",
			Summary: "A file, or a folder as an archive built on the fly (attachment)", Query: []string{"path", "archive"},
			ContentType: "application/octet-stream"},
		{Method: "PUT", Path: "/api/v1/devices/{id}/files/upload", Auth: "files_write", Fresh: true,
			Summary: "Upload a file (the body); written under its name only once complete", Query: []string{"path", "overwrite"},
			RequestContentType: "application/octet-stream", Response: FileUploaded{}, Status: 201},
		{Method: "POST", Path: "/api/v1/devices/{id}/files/mkdir", Auth: "files_write", Fresh: true, Summary: "Create a folder",
			Request: FilePathRequest{}, Response: FileChanged{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/files/rename", Auth: "files_write", Fresh: true, Summary: "Rename or move a file or folder",
			Request: FileRenameRequest{}, Response: FileChanged{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/files/delete", Auth: "files_write", Fresh: true,
			Summary: "Delete a file, a link or (recursive) a folder tree, never following links", Request: FileDeleteRequest{},
			Response: FileChanged{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/eventlog", Auth: "eventlog_read", Summary: "A page of the device's event log (journald, Windows Event Log, macOS unified log)",
			Query:    []string{"since", "until", "cursor", "limit", "level", "unit", "channel", "provider", "event_id", "process", "subsystem", "category", "text"},
			Response: EventLogPage{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/eventlog/follow", Auth: "eventlog_read",
			Summary:     "New event log records as they arrive, one JSON record per line, until the client goes away",
			Query:       []string{"since", "cursor", "level", "unit", "channel", "provider", "event_id", "process", "subsystem", "category", "text"},
			ContentType: "application/x-ndjson"},
		{Method: "GET", Path: "/api/v1/devices/{id}/registry", Auth: "registry_read", Summary: "A page of a registry key: subkeys, then values (Windows)",
			Query: []string{"path", "view", "cursor", "limit"}, Response: RegistryList{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/registry/value", Auth: "registry_read", Summary: "One registry value",
			Query: []string{"path", "view", "name"}, Response: RegValue{}},
		{Method: "PUT", Path: "/api/v1/devices/{id}/registry/value", Auth: "registry_write", Fresh: true, Summary: "Write a registry value of any type",
			Request: RegistrySetRequest{}, Response: RegistryChanged{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/registry/value/delete", Auth: "registry_write", Fresh: true, Summary: "Delete a registry value",
			Request: RegistryValueRequest{}, Response: RegistryChanged{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/registry/key", Auth: "registry_write", Fresh: true, Summary: "Create a registry key",
			Request: RegistryKeyRequest{}, Response: RegistryChanged{}},
		{Method: "POST", Path: "/api/v1/devices/{id}/registry/key/delete", Auth: "registry_write", Fresh: true,
			Summary: "Delete a registry key (with its subkeys when recursive)", Request: RegistryKeyRequest{}, Response: RegistryChanged{}},
		{Method: "GET", Path: "/api/v1/devices/{id}/sessions", Auth: "sessions_read", Summary: "The users on the device and their activity (active, idle, locked, disconnected)",
			Response: DeviceSessions{}},
	}
}
