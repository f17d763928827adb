package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// stream sends body (size bytes; -1 unknown) as the raw request body and
// decodes a JSON answer, or copies a successful answer's body into w when
// w is set. No overall timeout: files can be large.
func (c *Client) stream(method, path string, body io.Reader, size int64, out any, w io.Writer) error {
	if c.cfg.Server == "" {
		return errors.New("no server: use --server or STEWARD_SERVER, or stewardctl login")
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.cfg.Server, "/")+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := (&http.Client{Transport: c.hc.Transport}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e api.Error
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &APIError{Status: resp.StatusCode, Message: Clean(e.Error), Code: e.Code}
	}
	if w != nil {
		_, err = io.Copy(w, resp.Body)
		return err
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out)
}

// attachmentsCmd manages client attachments.
func (a *App) attachmentsCmd() *cobra.Command {
	c := &cobra.Command{Use: "attachments", Short: "Client files: upload, list, download, delete"}

	var client, search string
	list := &cobra.Command{Use: "list [--client C] [--search TEXT]", Short: "List attachments, newest first",
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/api/v1/attachments"
			if client != "" {
				path = "/api/v1/clients/" + url.PathEscape(client) + "/attachments"
			}
			if search != "" {
				path += "?q=" + url.QueryEscape(search)
			}
			var as []api.Attachment
			if err := a.client().Do("GET", path, nil, &as); err != nil {
				return err
			}
			return printRecords(a, as, []string{"ID", "NAME", "CLIENT", "SIZE", "TYPE", "UPLOADED", "BY"}, func(x api.Attachment) []string {
				return []string{x.ID, x.Name, x.ClientName, strconv.FormatInt(x.Size, 10), x.ContentType, tstr(x.UploadedAt), x.UploadedBy}
			})
		}}
	list.Flags().StringVar(&client, "client", "", "only this client's files (ID or name)")
	list.Flags().StringVar(&search, "search", "", "files whose name contains this")

	var upClient, name, ownerKind, ownerID string
	upload := &cobra.Command{Use: "upload FILE --client C [--name NAME]", Args: cobra.ExactArgs(1), Short: "Upload a file to a client",
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if name == "" {
				name = filepath.Base(args[0])
			}
			q := url.Values{"name": {name}}
			if ownerKind != "" {
				q.Set("owner_kind", ownerKind)
				q.Set("owner_id", ownerID)
			}
			var out api.Attachment
			if err := a.client().stream("POST", "/api/v1/clients/"+url.PathEscape(upClient)+"/attachments?"+q.Encode(), f, fi.Size(), &out, nil); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "uploaded %s (%s, %d bytes, sha256 %s)\n", Clean(out.Name), out.ID, out.Size, out.SHA256)
			return nil
		}}
	upload.Flags().StringVar(&upClient, "client", "", "the client (ID or name)")
	upload.Flags().StringVar(&name, "name", "", "file name to store (default: the file's)")
	upload.Flags().StringVar(&ownerKind, "owner-kind", "", "attach to a ticket, asset or contact of the client (with --owner-id)")
	upload.Flags().StringVar(&ownerID, "owner-id", "", "the ticket, asset or contact ID")
	_ = upload.MarkFlagRequired("client")

	var outFile string
	download := &cobra.Command{Use: "download ID [-O FILE]", Args: cobra.ExactArgs(1), Short: "Download a file (to FILE, or its own name in this folder; - for stdout)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var meta api.Attachment
			if err := a.client().Do("GET", "/api/v1/attachments/"+url.PathEscape(args[0]), nil, &meta); err != nil {
				return err
			}
			if outFile == "-" {
				return a.client().stream("GET", "/api/v1/attachments/"+url.PathEscape(args[0])+"/download", nil, 0, nil, a.Out)
			}
			dst := outFile
			if dst == "" {
				dst = filepath.Base(meta.Name) // the server keeps names path-free; Base again for safety
			}
			f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			err = a.client().stream("GET", "/api/v1/attachments/"+url.PathEscape(args[0])+"/download", nil, 0, nil, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(dst)
				return err
			}
			fmt.Fprintf(a.Err, "saved %s (%d bytes)\n", Clean(dst), meta.Size)
			return nil
		}}
	download.Flags().StringVarP(&outFile, "output-file", "O", "", "where to save it (- = stdout; never overwrites)")

	del := &cobra.Command{Use: "delete ID", Aliases: []string{"remove"}, Args: cobra.ExactArgs(1), Short: "Delete a file (audited)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AttachmentDeleted
			if err := a.client().Do("DELETE", "/api/v1/attachments/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}
	c.AddCommand(list, upload, download, del)
	return c
}
