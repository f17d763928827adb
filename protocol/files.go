package protocol

import "time"

// File manager methods of toolbox calls (call.go), their parameters and
// results. Paths are absolute on the device; the agent cleans and checks
// them (no "..", no Windows alternate data streams or device namespaces).
const (
	// MethodFilesList lists a directory page by page (FilesListParams →
	// FilesListResult).
	MethodFilesList = "files.list"
	// MethodFilesSearch finds entries by name under a folder: chunks of
	// []FileEntry, then FilesSearchResult.
	MethodFilesSearch = "files.search"
	// MethodFilesDownload streams a file, or a folder as an archive built
	// on the fly: one FilesDownloadHead chunk, the bytes, then
	// FilesDownloadResult.
	MethodFilesDownload = "files.download"
	// MethodFilesUpload writes the call's upload to a temporary file in the
	// target folder and renames it once complete: one FilesUploadReady
	// chunk once the target is accepted, then FilesUploadResult.
	MethodFilesUpload = "files.upload"
	// MethodFilesMkdir creates a folder (FilesPathParams → FilesChanged).
	MethodFilesMkdir = "files.mkdir"
	// MethodFilesRename renames or moves (FilesRenameParams → FilesChanged).
	MethodFilesRename = "files.rename"
	// MethodFilesDelete deletes a file, a link or (Recursive) a tree
	// without following links (FilesDeleteParams → FilesChanged).
	MethodFilesDelete = "files.delete"
)

// Types of FileEntry.Type.
const (
	FileTypeFile    = "file"
	FileTypeDir     = "dir"
	FileTypeSymlink = "symlink"
	FileTypeDevice  = "device"
	FileTypePipe    = "pipe"
	FileTypeSocket  = "socket"
	FileTypeOther   = "other"
)

// Archive formats of FilesDownloadParams.Archive.
const (
	ArchiveTarGz = "tar.gz"
	ArchiveZip   = "zip"
)

// FileEntry is one entry of a directory on a device.
type FileEntry struct {
	Name string `json:"name"`
	// Path is the entry's full path (search results only).
	Path     string    `json:"path,omitempty"`
	Type     string    `json:"type"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified,omitzero"`
	// Mode is the mode as ls shows it ("drwxr-xr-x"); Perm its permission
	// bits (0o755 = 493).
	Mode string `json:"mode"`
	Perm uint32 `json:"perm"`
	// Target is a symlink's target as stored; TargetDir says it leads to a
	// directory (so it can be browsed into).
	Target    string `json:"target,omitempty"`
	TargetDir bool   `json:"target_dir,omitempty"`
}

// FilesListParams asks for one page of a directory.
type FilesListParams struct {
	Path string `json:"path"`
	// Cursor is the Next of the previous page ("" = first page).
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// FilesListResult is one page of a directory, folders first, then by name.
type FilesListResult struct {
	Path    string      `json:"path"`
	Parent  string      `json:"parent,omitempty"`
	Entries []FileEntry `json:"entries"`
	// Next is the cursor of the next page ("" = this is the last).
	Next string `json:"next,omitempty"`
	// Total is the number of entries in the directory.
	Total int `json:"total"`
}

// FilesSearchParams finds entries whose name contains Name (case
// insensitive), or matches it as a glob when it has * ? or [.
type FilesSearchParams struct {
	Path  string `json:"path"`
	Name  string `json:"name"`
	Depth int    `json:"depth,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// FilesSearchResult ends a search.
type FilesSearchResult struct {
	Count      int  `json:"count"`
	Truncated  bool `json:"truncated"` // the result or scan limit was reached
	Scanned    int  `json:"scanned"`
	Unreadable int  `json:"unreadable"` // folders that could not be read
}

// FilesDownloadParams asks for a file, or a folder as an archive.
type FilesDownloadParams struct {
	Path    string `json:"path"`
	Archive string `json:"archive,omitempty"` // folders: ArchiveTarGz (default) or ArchiveZip
}

// FilesDownloadHead is the first chunk of a download.
type FilesDownloadHead struct {
	Name string `json:"name"` // the suggested file name
	Dir  bool   `json:"dir"`
	Size int64  `json:"size"` // -1 for archives
}

// FilesDownloadResult ends a download.
type FilesDownloadResult struct {
	Bytes int64 `json:"bytes"`
	Files int   `json:"files"`
	// Skipped counts entries an archive left out (device files, pipes,
	// sockets, unreadable files).
	Skipped int `json:"skipped,omitempty"`
}

// FilesUploadParams announces an upload to Path.
type FilesUploadParams struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"` // -1 unknown; else the upload must be exactly this long
	Overwrite bool   `json:"overwrite,omitempty"`
}

// FilesUploadReady is the chunk that accepts an upload's target.
type FilesUploadReady struct {
	Temp string `json:"temp"` // the temporary file being written
}

// FilesUploadResult ends an upload.
type FilesUploadResult struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// FilesPathParams names one path.
type FilesPathParams struct {
	Path string `json:"path"`
}

// FilesRenameParams renames From to To (which must not exist).
type FilesRenameParams struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// FilesDeleteParams deletes Path; a non-empty folder needs Recursive.
type FilesDeleteParams struct {
	Path      string `json:"path"`
	Recursive bool   `json:"recursive,omitempty"`
}

// FilesChanged is the result of mkdir, rename and delete.
type FilesChanged struct {
	Path string `json:"path"`
	Type string `json:"type,omitempty"` // what was deleted or renamed
}
