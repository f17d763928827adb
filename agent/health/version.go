package health

import "strings"

// CompareVersions orders two package or kernel version strings the way dpkg
// does (epoch, then alternating non-digit and digit runs, '~' before
// everything). It returns -1, 0 or +1. It is good enough for rpm versions
// and kernel release strings, which is what the collectors compare.
func CompareVersions(a, b string) int {
	ea, ra := splitEpoch(a)
	eb, rb := splitEpoch(b)
	if c := cmpDigits(ea, eb); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

func splitEpoch(v string) (string, string) {
	if i := strings.IndexByte(v, ':'); i > 0 && allDigits(v[:i]) {
		return v[:i], v[i+1:]
	}
	return "0", v
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// order is dpkg's character weight in the non-digit part.
func order(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ca, cb byte
			if i < len(a) {
				ca = a[i]
			}
			if j < len(b) {
				cb = b[j]
			}
			oa, ob := order(ca), order(cb)
			if i >= len(a) || isDigit(ca) {
				oa = 0
			}
			if j >= len(b) || isDigit(cb) {
				ob = 0
			}
			if oa != ob {
				return sign(oa - ob)
			}
			if i < len(a) && !isDigit(a[i]) {
				i++
			}
			if j < len(b) && !isDigit(b[j]) {
				j++
			}
		}
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := cmpDigits(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	return 0
}

// cmpDigits compares two runs of decimal digits of any length.
func cmpDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// kernelFlavor is the part of a kernel release that names its build variant
// ("generic", "amd64", "default", "x86_64+debug"), so a newer kernel is only
// looked for among kernels of the same flavour.
func kernelFlavor(rel string) string {
	last := rel
	if i := strings.LastIndexByte(rel, '-'); i >= 0 {
		last = rel[i+1:]
	}
	if last != "" && isAlpha(last[0]) {
		return last
	}
	if i := strings.LastIndexByte(last, '.'); i >= 0 && i+1 < len(last) && isAlpha(last[i+1]) {
		return last[i+1:]
	}
	return ""
}
