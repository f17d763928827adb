package inventory

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
)

// utmpPaths are where glibc keeps utmp; logindDir is where systemd-logind
// records sessions on systems that no longer write utmp.
var (
	utmpPaths = []string{"/run/utmp", "/var/run/utmp"}
	logindDir = "/run/systemd/sessions"
)

var systemUsers = &recordCache{load: func() (string, func() ([]Login, error)) {
	for _, p := range utmpPaths {
		if k := statKey(p); k != "" {
			return k, func() ([]Login, error) { return readUtmp(p) }
		}
	}
	// Files in the directory are replaced by rename, which changes the
	// directory's modification time.
	return statKey(logindDir), func() ([]Login, error) { return readLogindSessions(logindDir) }
}}

func readUtmp(path string) ([]Login, error) {
	b, err := readCapped(path, maxLogins*8*UtmpSize)
	if err != nil {
		return nil, err
	}
	return ParseUtmp(b, binary.NativeEndian), nil
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, limit)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:n], nil
}
