package health

import (
	"reflect"
	"testing"
)

func TestRegistryUninstallPlan(t *testing.T) {
	r := snapshotRegistry(t)
	cases := []struct {
		key  string
		want []string
	}{
		{`HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`,
			[]string{"msiexec.exe", "/x", "{26A24AE4-039D-4CA4-87B4-2F83218066F0}", "/qn", "/norestart"}},
		{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\doxygen_is1`,
			[]string{`o:\sw\doxygen\system\unins000.exe`, "/SILENT"}},
		{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Depths of Peril_is1`,
			[]string{`C:\Program Files\GAME\unins000.exe`, "/SILENT"}},
	}
	for _, c := range cases {
		vals, err := r.Values(c.key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RegistryUninstallPlan(c.key, vals)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q %v", c.key, got, err)
		}
	}
	// Synthetic value sets for the remaining branches.
	if _, err := RegistryUninstallPlan(regUninstall64+`\x`, map[string]any{"DisplayName": "x"}); err == nil {
		t.Error("entry without a command accepted")
	}
	got, err := RegistryUninstallPlan(regUninstall64+`\x`, map[string]any{"UninstallString": `C:\Program Files\X Tool\uninst.exe /S`})
	if err != nil || !reflect.DeepEqual(got, []string{`C:\Program Files\X Tool\uninst.exe`, "/S"}) {
		t.Errorf("unquoted path: %q %v", got, err)
	}
	if _, err := RegistryUninstallPlan(regUninstall64+`\x`, map[string]any{"UninstallString": "evil.exe\r\nother"}); err == nil {
		t.Error("control characters accepted")
	}
}

func TestSplitWindowsCommandLine(t *testing.T) {
	cases := map[string][]string{
		`"C:\Program Files\GAME\unins000.exe" /SILENT`:         {`C:\Program Files\GAME\unins000.exe`, "/SILENT"},
		`MsiExec.exe /X{26A24AE4-039D-4CA4-87B4-2F83218066F0}`: {"MsiExec.exe", "/X{26A24AE4-039D-4CA4-87B4-2F83218066F0}"},
		`C:\Program Files\X\uninst.exe`:                        {`C:\Program Files\X\uninst.exe`},
		`C:\Progra~1\X\u.exe /a "b c" d\"e f\\"g h"`:           {`C:\Progra~1\X\u.exe`, "/a", "b c", `d"e`, `f\g h`},
		`"unterminated`:              {"unterminated"},
		`   `:                        nil,
		`x.exe "a""b"`:               {"x.exe", `a"b`},
		`x.exe "a""b" c`:             {"x.exe", `a"b`, "c"},
		`x.exe "in ""quoted"" text"`: {"x.exe", `in "quoted" text`},
	}
	for in, want := range cases {
		if got := SplitWindowsCommandLine(in); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestValidUninstallKey(t *testing.T) {
	good := []string{
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\doxygen_is1`,
		`HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`,
		`HKU\S-1-5-21-1004336348-1177238915-682003330-1001\Software\Microsoft\Windows\CurrentVersion\Uninstall\Zoom`,
	}
	bad := []string{
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\evil`,
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`,
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\a\b`,
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\\x`,
		`HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\x`,
		`HKU\.DEFAULT\Software\Microsoft\Windows\CurrentVersion\Uninstall\x`,
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\x` + "\n",
		`/etc/passwd`,
	}
	for _, k := range good {
		if !ValidUninstallKey(k) {
			t.Errorf("refused %q", k)
		}
	}
	for _, k := range bad {
		if ValidUninstallKey(k) {
			t.Errorf("accepted %q", k)
		}
	}
}

func FuzzSplitWindowsCommandLine(f *testing.F) {
	f.Add(`"C:\Program Files\GAME\unins000.exe" /SILENT`)
	f.Add(`C:\Program Files\X\uninst.exe /S "a\"b"`)
	f.Fuzz(func(t *testing.T, s string) {
		if args := SplitWindowsCommandLine(s); len(args) > 257 {
			t.Fatalf("%d args", len(args))
		}
	})
}

func FuzzRegistryUninstallPlan(f *testing.F) {
	f.Add(`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\x`, `"C:\x\unins000.exe" /SILENT`, `MsiExec.exe /X{26A24AE4-039D-4CA4-87B4-2F83218066F0}`)
	f.Fuzz(func(t *testing.T, key, quiet, plain string) {
		argv, err := RegistryUninstallPlan(key, map[string]any{"QuietUninstallString": quiet, "UninstallString": plain})
		if err == nil && (len(argv) == 0 || argv[0] == "") {
			t.Fatalf("empty plan for %q %q", quiet, plain)
		}
		if root, _, _ := SplitRegistryPath(key); err == nil && root == "HKU" && argv[0] != "msiexec.exe" {
			t.Fatalf("per-user command line run: %q", argv)
		}
	})
}
