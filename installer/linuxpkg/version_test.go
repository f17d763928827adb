package linuxpkg

import "testing"

func TestPackageVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":             "1.2.3",
		"1.2.3":              "1.2.3",
		"1.2.3-4-gabc":       "1.2.3+4.gabc",
		"1.2.3-4-gabc-dirty": "1.2.3+4.gabc.dirty",
		"v2.0.0-rc.1":        "2.0.0-rc.1",
		"dev":                "0.0.0-dev",
		"5ecd54b-dirty":      "0.0.0-5ecd54b.dirty",
		"":                   "0.0.0",
		"1.2 3;rm":           "0.0.0-1.2.3.rm",
	} {
		if got := packageVersion(in); got != want {
			t.Errorf("packageVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
