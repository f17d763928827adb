package update

import (
	"errors"
	"testing"
)

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"v1.0.0", "1.0.0", 0},
		{"1.0", "1.0.0", 0},
		{"1.0.1", "1.0.0", 1},
		{"1.0.0", "1.0.1", -1},
		{"1.10.0", "1.9.0", 1}, // numeric, not string order
		{"2.0.0", "1.99.99", 1},
		{"1.2.0-rc.1", "1.2.0", -1},
		{"1.2.0", "1.2.0-rc.1", 1},
		{"1.2.0-rc.2", "1.2.0-rc.10", -1},
		{"1.2.0-alpha", "1.2.0-beta", -1},
		{"1.2.0-1", "1.2.0-alpha", -1}, // numeric identifiers first
		{"1.2.0-alpha", "1.2.0-alpha.1", -1},
		{"1.2.0+build.5", "1.2.0+build.9", 0}, // build metadata ignored
	}
	for _, c := range cases {
		got, err := Compare(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
}

func TestCompareRejectsNonReleases(t *testing.T) {
	for _, v := range []string{"dev", "", "abc1234", "1.0.0.0", "1..0", "01.0.0", "1.0.0-", "1.0.0-a b", "v", "1.x"} {
		if _, err := Compare(v, "1.0.0"); !errors.Is(err, ErrBadVersion) {
			t.Errorf("Compare(%q) err = %v, want ErrBadVersion", v, err)
		}
		if _, err := Compare("1.0.0", v); !errors.Is(err, ErrBadVersion) {
			t.Errorf("Compare(1.0.0, %q) err = %v, want ErrBadVersion", v, err)
		}
	}
}

// FuzzCompare: no panic on any input, and the order is antisymmetric and
// reflexive wherever it is defined.
func FuzzCompare(f *testing.F) {
	for _, s := range []string{"1.0.0", "v2.3", "1.2.0-rc.1", "1.2.0+b", "dev", "1.0.0-0.a.1", ""} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := Compare(a, b)
		ba, errB := Compare(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ: %v / %v", errA, errB)
		}
		if errA == nil && ab != -ba {
			t.Fatalf("Compare(%q,%q)=%d but reverse %d", a, b, ab, ba)
		}
		if aa, err := Compare(a, a); err == nil && aa != 0 {
			t.Fatalf("Compare(%q,%q)=%d", a, a, aa)
		}
	})
}
