package service

import (
	"encoding/xml"
	"fmt"
	"strings"

	kservice "github.com/kardianos/service"
)

// Service names. The macOS label is reverse-DNS as launchd expects; the
// others are what `systemctl` and `sc.exe` show.
const (
	ServiceName  = "steward-agent"
	LaunchdLabel = "com.steward-rmm.agent"
	displayName  = "Steward Agent"
	description  = "Steward RMM agent: keeps this device connected to its Steward server."
)

// NameFor is the service name on goos.
func NameFor(goos string) string {
	if goos == "darwin" {
		return LaunchdLabel
	}
	return ServiceName
}

// Definition is everything the OS service manager is told about the agent
// on goos, as a kardianos config. It is pure, so each OS's definition is
// golden-tested on any OS. On Linux and macOS the unit file and plist are
// rendered here (SystemdUnit, LaunchdPlist) and handed to kardianos whole;
// SysV and OpenRC (chosen by kardianos where systemd is absent) use
// Executable and Arguments with kardianos's own scripts.
func Definition(goos string, l Layout) (*kservice.Config, error) {
	for _, p := range []string{l.BinPath, l.ConfigDir, l.LogDir} {
		if err := checkPath(p); err != nil {
			return nil, err
		}
	}
	if l.BinPath == "" || l.ConfigDir == "" {
		return nil, fmt.Errorf("service: layout needs a binary path and a config directory")
	}
	c := &kservice.Config{
		Name:        NameFor(goos),
		DisplayName: displayName,
		Description: description,
		Executable:  l.BinPath,
		Arguments:   []string{"run", "--config", l.ConfigDir},
		Option:      kservice.KeyValue{},
	}
	switch goos {
	case "windows":
		c.Option["StartType"] = "automatic"
		// Delayed start gives the network stack time to come up at boot.
		c.Option["DelayedAutoStart"] = true
		// The SCM repeats the last recovery action for every later failure,
		// so one "restart" means the agent is always brought back.
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = "10s"
		c.Option["OnFailureResetPeriod"] = 86400
	case "darwin":
		c.Option["KeepAlive"] = true
		c.Option["RunAtLoad"] = true
		c.Option["LaunchdConfig"] = LaunchdPlist(l)
	default:
		c.Option["Restart"] = "always"
		c.Option["SystemdScript"] = SystemdUnit(l)
	}
	return c, nil
}

// checkPath refuses paths that could not be written safely into a unit
// file, plist or kardianos template.
func checkPath(p string) error {
	if strings.Contains(p, "{{") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("service: unusable path %q", p)
	}
	return nil
}

// SystemdUnit is the agent's systemd unit for layout l.
func SystemdUnit(l Layout) string {
	return `[Unit]
Description=Steward RMM agent
Documentation=https://github.com/steward-rmm/steward
Wants=network-online.target
After=network-online.target
# Never give up restarting: a device must not stay unmanaged because its
# network flapped at boot.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=` + systemdArgs(l.BinPath, "run", "--config", l.ConfigDir) + `
Restart=always
RestartSec=10
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
`
}

// systemdArgs quotes a command line for ExecStart: specifiers (%) and
// variables ($) are doubled so a path is always taken literally.
func systemdArgs(args ...string) string {
	out := make([]string, len(args))
	for i, a := range args {
		a = strings.NewReplacer("%", "%%", "$", "$$").Replace(a)
		if a == "" || strings.ContainsAny(a, " \t\"'\\;") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// LaunchdPlist is the agent's launchd daemon definition for layout l:
// started at boot (RunAtLoad) and restarted whenever it exits (KeepAlive).
func LaunchdPlist(l Layout) string {
	var b strings.Builder
	str := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return "<string>" + e.String() + "</string>"
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	` + str(LaunchdLabel) + `
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range []string{l.BinPath, "run", "--config", l.ConfigDir} {
		b.WriteString("\t\t" + str(a) + "\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>10</integer>
	<key>ExitTimeOut</key>
	<integer>30</integer>
`)
	if l.LogDir != "" {
		log := strings.TrimRight(l.LogDir, "/") + "/agent.log"
		b.WriteString("\t<key>StandardOutPath</key>\n\t" + str(log) + "\n")
		b.WriteString("\t<key>StandardErrorPath</key>\n\t" + str(log) + "\n")
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}
