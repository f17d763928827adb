package ctl

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// scriptsCmd manages the script library. A script belongs to one client
// (--client) or is global (the default, or --global); only a user of every
// client may write a global one. A name means the script of the given
// client first, then the global one.
func (a *App) scriptsCmd() *cobra.Command {
	c := &cobra.Command{Use: "scripts", Short: "The script library: per-client and global scripts, with immutable versions"}
	var file, interp, desc, client string
	var global bool
	var args []string
	put := &cobra.Command{Use: "put NAME --file FILE [--client C | --global]", Aliases: []string{"add"}, Args: cobra.ExactArgs(1),
		Short: "Save a script; saving an existing name of the same owner makes its next version",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			if global && client != "" {
				return errors.New("give --client or --global, not both")
			}
			body, err := readFile(file)
			if err != nil {
				return err
			}
			req := api.ScriptRequest{Name: a2[0], Interpreter: interp, Description: desc, Body: body, Args: args, Client: client}
			var out api.Script
			if err := a.client().Do("POST", "/api/v1/scripts", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s (%s, %s) version %d sha256 %s\n", Clean(out.Name), out.ID, owner(out), out.Version, out.SHA256)
			return nil
		}}
	put.Flags().StringVar(&file, "file", "", "script file")
	put.Flags().StringVar(&interp, "interpreter", "sh", "interpreter")
	put.Flags().StringVar(&desc, "description", "", "description")
	put.Flags().StringArrayVar(&args, "arg", nil, "default argument (repeatable)")
	put.Flags().StringVar(&client, "client", "", "the client the script belongs to (ID or name)")
	put.Flags().BoolVar(&global, "global", false, "a global script, for every client (needs access to every client)")
	_ = put.MarkFlagRequired("file")

	var listClient string
	var listGlobal bool
	list := &cobra.Command{Use: "list [--client C | --global]", Short: "List the scripts you can read", RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		if listClient != "" {
			q.Set("client", listClient)
		}
		if listGlobal {
			q.Set("global", "1")
		}
		var scs []api.Script
		if err := a.client().Do("GET", "/api/v1/scripts?"+q.Encode(), nil, &scs); err != nil {
			return err
		}
		// The JSON output adds each script's owner as the table shows it.
		type listed struct {
			api.Script
			Owner string `json:"owner"`
		}
		out := make([]listed, 0, len(scs))
		for _, sc := range scs {
			out = append(out, listed{sc, owner(sc)})
		}
		return printRecords(a, out, []string{"ID", "NAME", "OWNER", "VERSION", "INTERPRETER", "DESCRIPTION"}, func(r listed) []string {
			return []string{r.ID, r.Name, r.Owner, strconv.Itoa(r.Version), r.Interpreter, r.Description}
		})
	}}
	list.Flags().StringVar(&listClient, "client", "", "only this client's scripts and the global ones")
	list.Flags().BoolVar(&listGlobal, "global", false, "only global scripts")

	var showClient string
	show := &cobra.Command{Use: "show NAME|ID[@VERSION] [--client C]", Args: cobra.ExactArgs(1), Short: "Print a script (a given version, else the newest)",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			out, err := a.getScript(a2[0], showClient)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "# %s v%d (%s, %s, %s) sha256 %s: %s\n%s", Clean(out.Name), out.Version, out.Interpreter,
				owner(out), out.ID, out.SHA256, Clean(out.Description), out.Body)
			return nil
		}}
	show.Flags().StringVar(&showClient, "client", "", "the client whose script of that name to show")

	versions := &cobra.Command{Use: "versions NAME|ID [--client C]", Args: cobra.ExactArgs(1), Short: "List a script's versions and their hashes",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			out, err := a.getScript(a2[0], showClient)
			if err != nil {
				return err
			}
			return printRecords(a, out.Versions, []string{"VERSION", "SHA256", "UPDATED", "BY"}, func(v api.ScriptVersion) []string {
				return []string{strconv.Itoa(v.Version), v.SHA256, tparse(v.UpdatedAt), v.UpdatedBy}
			})
		}}
	versions.Flags().StringVar(&showClient, "client", "", "the client whose script of that name to list")

	var delClient string
	del := &cobra.Command{Use: "delete NAME|ID [--client C]", Aliases: []string{"remove"}, Args: cobra.ExactArgs(1),
		Short: "Remove a script from the library (jobs that ran it keep their record)",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			var out api.ScriptDeleted
			if err := a.client().Do("DELETE", "/api/v1/scripts/"+url.PathEscape(a2[0])+clientQuery(delClient), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}
	del.Flags().StringVar(&delClient, "client", "", "the client whose script of that name to delete")
	c.AddCommand(put, list, show, versions, del)
	return c
}

// getScript fetches NAME|ID[@VERSION].
func (a *App) getScript(ref, client string) (api.Script, error) {
	q := url.Values{}
	if client != "" {
		q.Set("client", client)
	}
	name, ver := splitVersion(ref)
	if ver != "" {
		q.Set("version", ver)
	}
	var out api.Script
	err := a.client().Do("GET", "/api/v1/scripts/"+url.PathEscape(name)+"?"+q.Encode(), nil, &out)
	return out, err
}

func splitVersion(ref string) (string, string) {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '@' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}

func clientQuery(client string) string {
	if client == "" {
		return ""
	}
	return "?client=" + url.QueryEscape(client)
}

// owner is a script's owner as shown: its client's name, or "global".
func owner(sc api.Script) string {
	if sc.ClientID == "" {
		return "global"
	}
	if sc.ClientName != "" {
		return "client " + Clean(sc.ClientName)
	}
	return "client " + sc.ClientID
}

// printJobScript prints the library version and body hash a job ran.
func printJobScript(w io.Writer, job api.Job) {
	sc := job.Script
	if sc == nil {
		return
	}
	if sc.ID == "" {
		fmt.Fprintf(w, "script: ad hoc, sha256 %s\n", sc.SHA256)
		return
	}
	fmt.Fprintf(w, "script: %s v%d (%s) sha256 %s\n", Clean(sc.Name), sc.Version, sc.ID, sc.SHA256)
}
