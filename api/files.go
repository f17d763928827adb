package api

import "github.com/steward-rmm/steward/protocol"

// The file manager's REST types. Entries and pages are the agent's own
// (protocol/files.go): the server passes them through after checking.

// FileEntry is one entry of a directory on a device.
type FileEntry = protocol.FileEntry

// FileList is one page of a directory (GET /api/v1/devices/{id}/files).
type FileList = protocol.FilesListResult

// FileSearch is the answer of a search by name under a folder.
type FileSearch struct {
	Path    string      `json:"path"`
	Name    string      `json:"name"`
	Entries []FileEntry `json:"entries"`
	// Truncated says the result or scan limit was reached.
	Truncated  bool `json:"truncated"`
	Scanned    int  `json:"scanned"`
	Unreadable int  `json:"unreadable"`
}

// FileUploaded answers an upload.
type FileUploaded = protocol.FilesUploadResult

// FilePathRequest names a path (create a folder).
type FilePathRequest = protocol.FilesPathParams

// FileRenameRequest renames or moves From to To (which must not exist).
type FileRenameRequest = protocol.FilesRenameParams

// FileDeleteRequest deletes a path; a folder with entries needs Recursive.
type FileDeleteRequest = protocol.FilesDeleteParams

// FileChanged answers mkdir, rename and delete.
type FileChanged = protocol.FilesChanged
