package files

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// copyBuf is the size of one read: one call data frame.
const copyBuf = protocol.MaxCallData

func download(ctx context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.FilesDownloadParams
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	p, err := clean(prm.Path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, osError("download", p, err)
	}
	if st.IsDir() {
		return downloadDir(ctx, c, p, prm.Archive)
	}
	f, fi, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := c.Send(protocol.FilesDownloadHead{Name: Base(p, goos), Size: fi.Size()}); err != nil {
		return nil, err
	}
	// Exactly the announced size: a file growing meanwhile (a log) is cut
	// there; one shrinking fails the download instead of ending short.
	n, err := io.CopyBuffer(c, io.LimitReader(f, fi.Size()), make([]byte, copyBuf))
	if err != nil {
		return nil, toolbox.Errorf(protocol.CallFailed, "read %s: %v", p, err)
	}
	if n != fi.Size() {
		return nil, toolbox.Errorf(protocol.CallFailed, "%s shrank while it was read (%d of %d bytes)", p, n, fi.Size())
	}
	return protocol.FilesDownloadResult{Bytes: n, Files: 1}, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// archiver writes one archive format entry by entry.
type archiver interface {
	dir(name string, fi fs.FileInfo) error
	link(name, target string, fi fs.FileInfo) error
	file(name string, fi fs.FileInfo, r io.Reader) error
	close() error
}

// downloadDir streams a folder as an archive built while it is walked:
// nothing but one read buffer is held, and no temporary file is written.
// Symlinks are stored as links (never followed); device files, FIFOs,
// sockets and unreadable files are skipped and counted.
func downloadDir(ctx context.Context, c *toolbox.Call, root, format string) (any, error) {
	if format == "" {
		format = protocol.ArchiveTarGz
	}
	name := Base(root, goos)
	var a archiver
	cw := &countWriter{w: c}
	switch format {
	case protocol.ArchiveTarGz:
		a = newTarGz(cw)
	case protocol.ArchiveZip:
		a = &zipArchive{z: zip.NewWriter(cw)}
	default:
		return nil, toolbox.Errorf(protocol.CallBadRequest, "unknown archive format %q (tar.gz or zip)", format)
	}
	if err := c.Send(protocol.FilesDownloadHead{Name: name + "." + format, Dir: true, Size: -1}); err != nil {
		return nil, err
	}
	var res protocol.FilesDownloadResult
	buf := make([]byte, copyBuf)
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if p == root {
				return osError("archive", root, err)
			}
			res.Skipped++
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		an := name
		if rel != "." {
			an = name + "/" + filepath.ToSlash(rel)
		}
		fi, err := de.Info()
		if err != nil {
			res.Skipped++
			return nil
		}
		switch typeOf(fi.Mode()) {
		case protocol.FileTypeDir:
			return a.dir(an+"/", fi)
		case protocol.FileTypeSymlink:
			t, err := os.Readlink(p)
			if err != nil {
				res.Skipped++
				return nil
			}
			return a.link(an, t, fi)
		case protocol.FileTypeFile:
			f, ofi, err := openRegular(p)
			if err != nil {
				res.Skipped++
				return nil
			}
			defer f.Close()
			res.Files++
			return a.file(an, ofi, &exactReader{r: f, n: ofi.Size(), buf: buf})
		}
		res.Skipped++ // device files, FIFOs, sockets: never read
		return nil
	})
	if err == nil {
		err = a.close()
	}
	if err != nil {
		var te *toolbox.Error
		if errors.As(err, &te) || ctx.Err() != nil {
			return nil, err
		}
		return nil, toolbox.Errorf(protocol.CallFailed, "archive %s: %v", root, err)
	}
	res.Bytes = cw.n
	return res, nil
}

// exactReader yields exactly n bytes of r: a file that grew is cut at the
// size in its header, one that shrank is padded with zeros, so the archive
// stays valid.
type exactReader struct {
	r   io.Reader
	n   int64
	buf []byte
	eof bool
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), e.n)]
	if e.eof {
		clear(p)
		e.n -= int64(len(p))
		return len(p), nil
	}
	k, err := e.r.Read(p)
	e.n -= int64(k)
	if err == io.EOF {
		e.eof = true
		err = nil
	}
	return k, err
}

// WriteTo copies through the shared buffer.
func (e *exactReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for e.n > 0 {
		k, err := e.Read(e.buf)
		if k > 0 {
			if _, werr := w.Write(e.buf[:k]); werr != nil {
				return total, werr
			}
			total += int64(k)
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

type tarGz struct {
	gz *gzip.Writer
	t  *tar.Writer
}

func newTarGz(w io.Writer) *tarGz {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // throughput over ratio
	return &tarGz{gz: gz, t: tar.NewWriter(gz)}
}

func (a *tarGz) header(name string, fi fs.FileInfo, link string) error {
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	h.Name = name
	h.Format = tar.FormatPAX // long and non-ASCII names
	h.Uname, h.Gname = "", ""
	return a.t.WriteHeader(h)
}

func (a *tarGz) dir(name string, fi fs.FileInfo) error { return a.header(name, fi, "") }
func (a *tarGz) link(name, target string, fi fs.FileInfo) error {
	return a.header(name, fi, target)
}
func (a *tarGz) file(name string, fi fs.FileInfo, r io.Reader) error {
	if err := a.header(name, fi, ""); err != nil {
		return err
	}
	_, err := io.Copy(a.t, r)
	return err
}
func (a *tarGz) close() error {
	if err := a.t.Close(); err != nil {
		return err
	}
	return a.gz.Close()
}

type zipArchive struct{ z *zip.Writer }

func (a *zipArchive) create(name string, fi fs.FileInfo, method uint16) (io.Writer, error) {
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return nil, err
	}
	h.Name, h.Method = name, method
	if strings.HasSuffix(name, "/") {
		h.Method = zip.Store
	}
	return a.z.CreateHeader(h)
}

func (a *zipArchive) dir(name string, fi fs.FileInfo) error {
	_, err := a.create(name, fi, zip.Store)
	return err
}

// link stores a symlink as Info-ZIP does: the mode says link, the content
// is the target.
func (a *zipArchive) link(name, target string, fi fs.FileInfo) error {
	w, err := a.create(name, fi, zip.Store)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, target)
	return err
}

func (a *zipArchive) file(name string, fi fs.FileInfo, r io.Reader) error {
	w, err := a.create(name, fi, zip.Deflate)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func (a *zipArchive) close() error { return a.z.Close() }
