package files

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// goos is the OS the path rules apply to.
var goos = runtime.GOOS

// typeOf names a file mode's type.
func typeOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return protocol.FileTypeDir
	case m&fs.ModeSymlink != 0:
		return protocol.FileTypeSymlink
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return protocol.FileTypeDevice
	case m&fs.ModeNamedPipe != 0:
		return protocol.FileTypePipe
	case m&fs.ModeSocket != 0:
		return protocol.FileTypeSocket
	case m.IsRegular():
		return protocol.FileTypeFile
	}
	return protocol.FileTypeOther
}

// entry describes a file from its Lstat info; dir is its folder.
func entry(dir string, fi fs.FileInfo) protocol.FileEntry {
	e := protocol.FileEntry{Name: fi.Name(), Type: typeOf(fi.Mode()), Size: fi.Size(), Modified: fi.ModTime().UTC(),
		Mode: fi.Mode().String(), Perm: uint32(fi.Mode().Perm())}
	if e.Type == protocol.FileTypeDir {
		e.Size = 0
	}
	if e.Type == protocol.FileTypeSymlink {
		full := filepath.Join(dir, fi.Name())
		e.Target, _ = os.Readlink(full)
		if st, err := os.Stat(full); err == nil && st.IsDir() {
			e.TargetDir = true
		}
	}
	return e
}

// osError turns an OS error into a toolbox error with a code and a
// message naming the path.
func osError(op, p string, err error) error {
	switch {
	case os.IsNotExist(err):
		return toolbox.Errorf(protocol.CallNotFound, "%s: %s does not exist", op, p)
	case os.IsExist(err):
		return toolbox.Errorf(protocol.CallExists, "%s: %s already exists", op, p)
	case os.IsPermission(err):
		return toolbox.Errorf(protocol.CallDenied, "%s: permission denied on %s", op, p)
	}
	return toolbox.Errorf(protocol.CallFailed, "%s: %v", op, err)
}

// clean checks a path from the server against this OS's rules.
func clean(p string) (string, error) { return CleanPath(p, goos) }

// refuseSpecial refuses to read a device file, FIFO or socket.
func refuseSpecial(p string, m fs.FileMode) error {
	switch t := typeOf(m); t {
	case protocol.FileTypeDevice, protocol.FileTypePipe, protocol.FileTypeSocket, protocol.FileTypeOther:
		return toolbox.Errorf(protocol.CallForbidden, "%s is a %s, not a regular file; Steward never reads those", p, t)
	}
	return nil
}

// openRegular opens a regular file for reading (following a symlink) and
// checks, on the open handle, that it is one: a device file, FIFO or
// socket is refused without being read, even if it replaced the file
// since it was listed.
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	if fi, err := os.Stat(p); err != nil {
		return nil, nil, osError("open", p, err)
	} else if err := refuseSpecial(p, fi.Mode()); err != nil {
		return nil, nil, err
	} else if fi.IsDir() {
		return nil, nil, toolbox.Errorf(protocol.CallBadRequest, "%s is a folder", p)
	}
	f, err := os.OpenFile(p, openFlags, 0)
	if err != nil {
		return nil, nil, osError("open", p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, osError("stat", p, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		if err := refuseSpecial(p, fi.Mode()); err != nil {
			return nil, nil, err
		}
		return nil, nil, toolbox.Errorf(protocol.CallBadRequest, "%s is not a regular file", p)
	}
	clearNonblock(f)
	return f, fi, nil
}
