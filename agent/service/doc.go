// Package service installs, removes and runs the Steward agent as an OS
// service: systemd on Linux (kardianos falls back to SysV, OpenRC or
// upstart), the Service Control Manager on Windows (automatic delayed
// start, restart on failure) and a launchd daemon on macOS (RunAtLoad,
// KeepAlive).
//
// The agent binary is copied to a root-owned path (Layout) and the service
// always runs that copy, never a file in a user-writable place. What each
// OS's service manager is told is built by the pure Definition, so it is
// golden-tested on any OS. A staged install (RootEnv) writes everything
// under a directory and records the registration (Recorder) instead of
// making it.
package service
