package service

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"howett.net/plist"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// definitionJSON is a stable dump of a definition; rendered scripts are
// golden-tested on their own and show here only by name.
func definitionJSON(t *testing.T, goos string, l Layout) string {
	t.Helper()
	def, err := Definition(goos, l)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(def.Option))
	for k := range def.Option {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var opts []string
	for _, k := range keys {
		v := def.Option[k]
		if s, ok := v.(string); ok && strings.Contains(s, "\n") {
			v = "(rendered: see its own golden file)"
		}
		b, _ := json.Marshal(v)
		opts = append(opts, k+"="+string(b))
	}
	b, _ := json.MarshalIndent(map[string]any{"name": def.Name, "display_name": def.DisplayName,
		"description": def.Description, "executable": def.Executable, "arguments": def.Arguments,
		"user": def.UserName, "options": opts}, "", "  ")
	return string(b) + "\n"
}

func TestDefinitionGolden(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			golden(t, "definition-"+goos+".golden", definitionJSON(t, goos, LayoutFor(goos, "", "")))
		})
	}
}

func TestSystemdUnitGolden(t *testing.T) {
	l := LayoutFor("linux", "", "")
	def, err := Definition("linux", l)
	if err != nil {
		t.Fatal(err)
	}
	unit := def.Option["SystemdScript"].(string)
	golden(t, "systemd.golden", unit)
	// kardianos renders the unit through its template engine: it must hold
	// no template action, so it is written out verbatim.
	if strings.Contains(unit, "{{") {
		t.Error("unit contains a template action")
	}
	for _, want := range []string{"ExecStart=/usr/local/lib/steward/steward-agent run --config /etc/steward\n",
		"Restart=always\n", "WantedBy=multi-user.target\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func TestLaunchdPlistGolden(t *testing.T) {
	l := LayoutFor("darwin", "", "")
	def, err := Definition("darwin", l)
	if err != nil {
		t.Fatal(err)
	}
	text := def.Option["LaunchdConfig"].(string)
	golden(t, "launchd.golden", text)
	var got struct {
		Label             string
		ProgramArguments  []string
		RunAtLoad         bool
		KeepAlive         bool
		StandardErrorPath string
	}
	if _, err := plist.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("plist does not parse: %v", err)
	}
	want := []string{"/Library/Steward/steward-agent", "run", "--config", "/Library/Application Support/Steward"}
	if got.Label != LaunchdLabel || strings.Join(got.ProgramArguments, "|") != strings.Join(want, "|") ||
		!got.RunAtLoad || !got.KeepAlive || got.StandardErrorPath != "/Library/Logs/Steward/agent.log" {
		t.Errorf("plist = %+v", got)
	}
}

func TestWindowsDefinition(t *testing.T) {
	def, err := Definition("windows", LayoutFor("windows", `D:\Apps\`, `D:\Data`))
	if err != nil {
		t.Fatal(err)
	}
	if def.Executable != `D:\Apps\Steward\steward-agent.exe` ||
		strings.Join(def.Arguments, "|") != `run|--config|D:\Data\Steward` {
		t.Errorf("executable %q arguments %q", def.Executable, def.Arguments)
	}
	for k, want := range map[string]any{"StartType": "automatic", "DelayedAutoStart": true, "OnFailure": "restart"} {
		if def.Option[k] != want {
			t.Errorf("option %s = %v, want %v", k, def.Option[k], want)
		}
	}
}

func TestPlistEscapesPaths(t *testing.T) {
	l := Layout{BinPath: "/opt/a&b/<agent>", ConfigDir: "/etc/s", LogDir: ""}
	text := LaunchdPlist(l)
	var got struct{ ProgramArguments []string }
	if _, err := plist.Unmarshal([]byte(text), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.ProgramArguments) == 0 || got.ProgramArguments[0] != l.BinPath {
		t.Errorf("arguments %q, want first %q", got.ProgramArguments, l.BinPath)
	}
}

func TestSystemdArgs(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"/usr/bin/a", "run"}, "/usr/bin/a run"},
		{[]string{"/opt/my agent/a"}, `"/opt/my agent/a"`},
		{[]string{"/opt/100%/a"}, "/opt/100%%/a"},
		{[]string{"/opt/$HOME/a"}, "/opt/$$HOME/a"},
		{[]string{`/opt/q"x\y`}, `"/opt/q\"x\\y"`},
		{[]string{""}, `""`},
	} {
		if got := systemdArgs(tc.in...); got != tc.want {
			t.Errorf("systemdArgs(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDefinitionRefusesUnsafePaths(t *testing.T) {
	for _, l := range []Layout{
		{BinPath: "/opt/{{evil}}/a", ConfigDir: "/etc/s"},
		{BinPath: "/opt/a", ConfigDir: "/etc/s\nExecStartPre=/bin/evil"},
		{BinPath: "", ConfigDir: "/etc/s"},
	} {
		if _, err := Definition("linux", l); err == nil {
			t.Errorf("Definition(%+v) accepted", l)
		}
	}
}

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		goos, pf, pd string
		want         Layout
	}{
		{"linux", "", "", Layout{BinDir: "/usr/local/lib/steward", BinPath: "/usr/local/lib/steward/steward-agent", ConfigDir: "/etc/steward"}},
		{"darwin", "", "", Layout{BinDir: "/Library/Steward", BinPath: "/Library/Steward/steward-agent",
			ConfigDir: "/Library/Application Support/Steward", LogDir: "/Library/Logs/Steward"}},
		{"windows", "", "", Layout{BinDir: `C:\Program Files\Steward`, BinPath: `C:\Program Files\Steward\steward-agent.exe`,
			ConfigDir: `C:\ProgramData\Steward`}},
		{"windows", `E:\PF`, `E:\PD\`, Layout{BinDir: `E:\PF\Steward`, BinPath: `E:\PF\Steward\steward-agent.exe`,
			ConfigDir: `E:\PD\Steward`}},
	} {
		if got := LayoutFor(tc.goos, tc.pf, tc.pd); got != tc.want {
			t.Errorf("LayoutFor(%s, %q, %q) = %+v, want %+v", tc.goos, tc.pf, tc.pd, got, tc.want)
		}
	}
	got := LayoutFor("linux", "", "").WithRoot("/stage")
	want := Layout{Root: "/stage", BinDir: "/stage/usr/local/lib/steward", BinPath: "/stage/usr/local/lib/steward/steward-agent",
		ConfigDir: "/stage/etc/steward"}
	if got != want {
		t.Errorf("WithRoot = %+v, want %+v", got, want)
	}
}
