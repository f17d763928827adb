package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// TempPrefix starts the name of an upload's temporary file, in the target
// folder so the final rename stays on one filesystem.
const TempPrefix = ".steward-upload-"

func upload(ctx context.Context, c *toolbox.Call) (res any, err error) {
	var prm protocol.FilesUploadParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	p, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	if IsRoot(p, goos) {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "%s is a root folder, not a file name", p)
	}
	dir := filepath.Dir(p)
	if st, err := os.Stat(dir); err != nil {
		return nil, osError("upload", dir, err)
	} else if !st.IsDir() {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "%s is not a folder", dir)
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Lstat(p); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, toolbox.Errorf(protocol.CallExists, "%s exists and is a %s; it is not replaced", p, typeOf(fi.Mode()))
		}
		if !prm.Overwrite {
			return nil, toolbox.Errorf(protocol.CallExists, "%s already exists (overwrite to replace it)", p)
		}
		mode = fi.Mode().Perm()
	} else if !os.IsNotExist(err) {
		return nil, osError("upload", p, err)
	}
	tmp, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return nil, osError("upload", dir, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name()) // an interrupted upload leaves nothing behind
		}
	}()
	if err := c.Send(protocol.FilesUploadReady{Temp: tmp.Name()}); err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(tmp, h), c, make([]byte, copyBuf))
	if err != nil {
		if errors.Is(err, toolbox.ErrIncomplete) || ctx.Err() != nil {
			return nil, toolbox.Errorf(protocol.CallCanceled, "upload to %s interrupted after %d bytes; nothing was written there", p, n)
		}
		return nil, osError("upload", p, err)
	}
	if prm.Size >= 0 && n != prm.Size {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "upload to %s: received %d bytes, expected %d", p, n, prm.Size)
	}
	if err := tmp.Sync(); err != nil {
		return nil, osError("upload", p, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, osError("upload", p, err)
	}
	_ = os.Chmod(tmp.Name(), mode)
	if !prm.Overwrite {
		// Created meanwhile by someone else: do not replace it.
		if _, err := os.Lstat(p); err == nil {
			return nil, toolbox.Errorf(protocol.CallExists, "%s was created during the upload; not replaced", p)
		}
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return nil, osError("upload", p, err)
	}
	done = true
	return protocol.FilesUploadResult{Path: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func mkdir(_ context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesPathParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	p, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		return nil, osError("create folder", p, err)
	}
	return protocol.FilesChanged{Path: p, Type: protocol.FileTypeDir}, nil
}

func rename(_ context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesRenameParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	from, err := clean(prm.From)
	if err != nil {
		return nil, err
	}
	to, err := clean(prm.To)
	if err != nil {
		return nil, err
	}
	if IsRoot(from, goos) || IsRoot(to, goos) {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "a root folder cannot be renamed")
	}
	if to == from || strings.HasPrefix(to, from+string(filepath.Separator)) {
		return nil, toolbox.Errorf(protocol.CallBadRequest, "%s cannot be moved into itself", from)
	}
	e, _, err := lstatEntry(from)
	if err != nil {
		return nil, err
	}
	// Rename replaces an existing file on most systems: refuse instead.
	if _, err := os.Lstat(to); err == nil {
		return nil, toolbox.Errorf(protocol.CallExists, "%s already exists", to)
	}
	if err := os.Rename(from, to); err != nil {
		return nil, osError("rename", from, err)
	}
	return protocol.FilesChanged{Path: to, Type: e.Type}, nil
}

func remove(_ context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesDeleteParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	p, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	if IsRoot(p, goos) {
		return nil, toolbox.Errorf(protocol.CallForbidden, "%s is a root folder; it is not deleted", p)
	}
	e, fi, err := lstatEntry(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() && prm.Recursive {
		// RemoveAll removes links, never what they point to.
		if err := os.RemoveAll(p); err != nil {
			return nil, osError("delete", p, err)
		}
	} else if err := os.Remove(p); err != nil {
		if fi.IsDir() {
			if entries, rerr := os.ReadDir(p); rerr == nil && len(entries) > 0 {
				return nil, toolbox.Errorf(protocol.CallBadRequest, "%s is a folder with %d entries; delete it recursively to remove them", p, len(entries))
			}
		}
		return nil, osError("delete", p, err)
	}
	return protocol.FilesChanged{Path: p, Type: e.Type}, nil
}

// Methods are the file manager's toolbox methods.
func Methods() []toolbox.Method {
	return []toolbox.Method{
		{Name: protocol.MethodFilesList, Handler: list},
		{Name: protocol.MethodFilesSearch, Handler: search},
		{Name: protocol.MethodFilesDownload, Handler: download},
		{Name: protocol.MethodFilesUpload, Handler: upload},
		{Name: protocol.MethodFilesMkdir, Handler: mkdir},
		{Name: protocol.MethodFilesRename, Handler: rename},
		{Name: protocol.MethodFilesDelete, Handler: remove},
	}
}
