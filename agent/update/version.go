package update

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadVersion is returned by Compare for a version that is not a release
// version: a "dev" build, a bare git hash, an empty string.
var ErrBadVersion = errors.New("not a release version")

type semver struct {
	core [3]uint64
	pre  []string
}

// parseVersion reads MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD] with an
// optional leading "v". Build metadata is ignored, as semver says.
func parseVersion(s string) (semver, error) {
	var v semver
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(in) > 64 || core == "" || len(parts) > 3 || (hasPre && pre == "") {
		return v, fmt.Errorf("%w: %q", ErrBadVersion, in)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || p == "" || (len(p) > 1 && p[0] == '0') {
			return v, fmt.Errorf("%w: %q", ErrBadVersion, in)
		}
		v.core[i] = n
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
		for _, id := range v.pre {
			if id == "" || strings.Trim(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "" {
				return v, fmt.Errorf("%w: %q", ErrBadVersion, in)
			}
		}
	}
	return v, nil
}

// Compare orders two release versions by semver precedence: -1 when a is
// older than b, 0 when equal, +1 when newer. A missing MINOR or PATCH counts
// as 0 and a pre-release sorts before its release (1.2.0-rc.1 < 1.2.0).
// Versions that are not release versions ("dev", a git hash) are an error:
// nothing can be said about their age.
func Compare(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	for i := range va.core {
		if va.core[i] != vb.core[i] {
			return cmpU(va.core[i], vb.core[i]), nil
		}
	}
	switch {
	case len(va.pre) == 0 && len(vb.pre) == 0:
		return 0, nil
	case len(va.pre) == 0:
		return 1, nil
	case len(vb.pre) == 0:
		return -1, nil
	}
	for i := 0; i < len(va.pre) && i < len(vb.pre); i++ {
		x, y := va.pre[i], vb.pre[i]
		nx, ex := strconv.ParseUint(x, 10, 64)
		ny, ey := strconv.ParseUint(y, 10, 64)
		switch {
		case ex == nil && ey == nil:
			if nx != ny {
				return cmpU(nx, ny), nil
			}
		case ex == nil: // numeric identifiers sort before alphanumeric ones
			return -1, nil
		case ey == nil:
			return 1, nil
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c, nil
			}
		}
	}
	return cmpU(uint64(len(va.pre)), uint64(len(vb.pre))), nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
