package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// Stream sends a request with a raw body (nil: none) and returns the
// answer for the caller to read and close. Transfers have no overall
// timeout: a 2 GB file takes as long as it takes.
func (c *Client) Stream(method, path string, body io.Reader, size int64) (*http.Response, error) {
	if c.cfg.Server == "" {
		return nil, errors.New("no server: use --server or STEWARD_SERVER, or stewardctl login")
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.cfg.Server, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	hc := *c.hc
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e api.Error
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return nil, &APIError{Status: resp.StatusCode, Message: Clean(e.Error), Code: e.Code}
	}
	return resp, nil
}

func filesPath(dev, op string, q url.Values) string {
	p := "/api/v1/devices/" + url.PathEscape(dev) + "/files"
	if op != "" {
		p += "/" + op
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func (a *App) filesCmd() *cobra.Command {
	c := &cobra.Command{Use: "files", Short: "Browse, transfer and change files on a device",
		Long: "Paths are absolute paths on the device (C:\\... on Windows); \"..\" is refused. Writing (put, mkdir,\n" +
			"mv, rm) needs the files_write permission and a recent two-factor check; every action is audited."}
	var device string
	c.PersistentFlags().StringVar(&device, "device", "", "the device (ID or exact hostname)")
	dev := func() (string, error) {
		if device == "" {
			return "", errors.New("--device is required")
		}
		return a.resolveDevice(device)
	}

	var limit int
	ls := &cobra.Command{Use: "ls PATH --device D", Short: "List a folder (all pages)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := intFlag("limit", limit, 1, 5000, ""); err != nil {
				return err
			}
			id, err := dev()
			if err != nil {
				return err
			}
			var all []api.FileEntry
			cursor := ""
			for {
				q := url.Values{"path": {args[0]}, "limit": {strconv.Itoa(limit)}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				var page api.FileList
				if err := a.client().Do("GET", filesPath(id, "", q), nil, &page); err != nil {
					return err
				}
				all = append(all, page.Entries...)
				if cursor = page.Next; cursor == "" {
					break
				}
			}
			return printFiles(a, all, false)
		}}
	ls.Flags().IntVar(&limit, "page", 1000, "entries per request")

	var depth, max int
	find := &cobra.Command{Use: "find PATH NAME --device D", Short: "Find entries under PATH whose name contains NAME (or matches a glob)",
		Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			q := url.Values{"path": {args[0]}, "name": {args[1]}, "depth": {strconv.Itoa(depth)}, "limit": {strconv.Itoa(max)}}
			var out api.FileSearch
			if err := a.client().Do("GET", filesPath(id, "search", q), nil, &out); err != nil {
				return err
			}
			if err := printFiles(a, out.Entries, true); err != nil {
				return err
			}
			if out.Truncated && a.output != "json" {
				fmt.Fprintf(a.Err, "results truncated (limit %d or scan limit reached); narrow the search\n", max)
			}
			return nil
		}}
	find.Flags().IntVar(&depth, "depth", 8, "folders deep to look")
	find.Flags().IntVar(&max, "limit", 200, "at most this many results")

	var outPath, archive string
	get := &cobra.Command{Use: "get PATH --device D [-O LOCAL]", Short: "Download a file, or a folder as an archive",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			q := url.Values{"path": {args[0]}}
			if archive != "" {
				q.Set("archive", archive)
			}
			resp, err := a.client().Stream("GET", filesPath(id, "download", q), nil, 0)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if outPath == "-" {
				_, err := io.Copy(a.Out, resp.Body)
				return err
			}
			if outPath == "" {
				_, prm, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				outPath = filepath.Base(prm["filename"])
				if outPath == "" || outPath == "." || outPath == ".." || outPath == string(filepath.Separator) {
					outPath = "download"
				}
			}
			n, err := saveFile(outPath, resp.Body)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Err, "saved %s (%d bytes)\n", outPath, n)
			return nil
		}}
	get.Flags().StringVarP(&outPath, "output-file", "O", "", "local file (default: the name on the device in this folder; - for stdout)")
	get.Flags().StringVar(&archive, "archive", "", "folders: tar.gz (default) or zip")

	var overwrite bool
	put := &cobra.Command{Use: "put LOCAL PATH --device D", Short: "Upload a local file to PATH on the device",
		Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			q := url.Values{"path": {args[1]}}
			if overwrite {
				q.Set("overwrite", "1")
			}
			cl := a.client()
			send := func() (*http.Response, error) {
				f, err := os.Open(args[0])
				if err != nil {
					return nil, err
				}
				defer f.Close()
				st, err := f.Stat()
				if err != nil {
					return nil, err
				}
				if !st.Mode().IsRegular() {
					return nil, fmt.Errorf("%s is not a regular file", args[0])
				}
				return cl.Stream("PUT", filesPath(id, "upload", q), f, st.Size())
			}
			resp, err := send()
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == api.CodeFresh2FA {
				// The file can be read again: refresh and send it once more.
				if cl.AskCode == nil {
					return fmt.Errorf("%s: %w", errNeedFresh, err)
				}
				code, aerr := cl.AskCode()
				if aerr != nil {
					return aerr
				}
				if err := cl.Refresh(code); err != nil {
					return err
				}
				resp, err = send()
			}
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var out api.FileUploaded
			if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
				return fmt.Errorf("upload answer: %w", err)
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "uploaded %s (%d bytes, sha256 %s)\n", Clean(out.Path), out.Size, out.SHA256)
			return nil
		}}
	put.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing file")

	change := func(op string, body any) error {
		id, err := dev()
		if err != nil {
			return err
		}
		var out api.FileChanged
		if err := a.client().Do("POST", filesPath(id, op, nil), body, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		fmt.Fprintf(a.Out, "%s: %s\n", op, Clean(out.Path))
		return nil
	}
	mkdir := &cobra.Command{Use: "mkdir PATH --device D", Short: "Create a folder", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return change("mkdir", api.FilePathRequest{Path: args[0]})
		}}
	mv := &cobra.Command{Use: "mv FROM TO --device D", Short: "Rename or move (TO must not exist)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return change("rename", api.FileRenameRequest{From: args[0], To: args[1]})
		}}
	var recursive bool
	rm := &cobra.Command{Use: "rm PATH --device D [-r]", Short: "Delete a file or link, or a folder tree with -r (links are not followed)",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return change("delete", api.FileDeleteRequest{Path: args[0], Recursive: recursive})
		}}
	rm.Flags().BoolVarP(&recursive, "recursive", "r", false, "delete a folder with everything in it")
	c.AddCommand(ls, find, get, put, mkdir, mv, rm)
	return c
}

// printFiles shows entries as a table (names from the device escaped).
func printFiles(a *App, recs []api.FileEntry, withPath bool) error {
	header := []string{"NAME", "TYPE", "SIZE", "MODIFIED", "MODE", "TARGET"}
	if withPath {
		header[0] = "PATH"
	}
	return printRecords(a, recs, header, func(e api.FileEntry) []string {
		name := e.Name
		if withPath {
			name = e.Path
		}
		size := strconv.FormatInt(e.Size, 10)
		if e.Type == "dir" {
			size = ""
		}
		return []string{name, e.Type, size, tstr(e.Modified), e.Mode, e.Target}
	})
}

// saveFile writes r to path through a temporary file renamed at the end,
// so an interrupted download leaves no partial file under the name.
func saveFile(path string, r io.Reader) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stewardctl-get-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, fmt.Errorf("download to %s: %w", path, err)
	}
	return n, nil
}
