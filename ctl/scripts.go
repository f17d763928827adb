package ctl

import (
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"
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
			req := map[string]any{"name": a2[0], "interpreter": interp, "description": desc, "body": body, "args": args}
			if client != "" {
				req["client"] = client
			}
			var out map[string]any
			if err := a.client().Do("POST", "/api/v1/scripts", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s (%s, %s) version %v sha256 %s\n", Clean(str(out["name"])), str(out["id"]), owner(out), out["version"], str(out["sha256"]))
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
		var out []map[string]any
		if err := a.client().Do("GET", "/api/v1/scripts?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		for _, r := range out {
			r["owner"] = owner(r)
		}
		return a.printMaps(out, []string{"ID", "NAME", "OWNER", "VERSION", "INTERPRETER", "DESCRIPTION"},
			[]string{"id", "name", "owner", "version", "interpreter", "description"})
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
			fmt.Fprintf(a.Out, "# %s v%v (%s, %s, %s) sha256 %s: %s\n%s", Clean(str(out["name"])), out["version"], str(out["interpreter"]),
				owner(out), str(out["id"]), str(out["sha256"]), Clean(str(out["description"])), out["body"])
			return nil
		}}
	show.Flags().StringVar(&showClient, "client", "", "the client whose script of that name to show")

	versions := &cobra.Command{Use: "versions NAME|ID [--client C]", Args: cobra.ExactArgs(1), Short: "List a script's versions and their hashes",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			out, err := a.getScript(a2[0], showClient)
			if err != nil {
				return err
			}
			var vs []map[string]any
			if l, ok := out["versions"].([]any); ok {
				for _, v := range l {
					if m, ok := v.(map[string]any); ok {
						vs = append(vs, m)
					}
				}
			}
			return a.printMaps(vs, []string{"VERSION", "SHA256", "UPDATED", "BY"}, []string{"version", "sha256", "updated_at", "updated_by"})
		}}
	versions.Flags().StringVar(&showClient, "client", "", "the client whose script of that name to list")

	var delClient string
	del := &cobra.Command{Use: "delete NAME|ID [--client C]", Aliases: []string{"remove"}, Args: cobra.ExactArgs(1),
		Short: "Remove a script from the library (jobs that ran it keep their record)",
		RunE: func(cmd *cobra.Command, a2 []string) error {
			var out map[string]any
			if err := a.client().Do("DELETE", "/api/v1/scripts/"+url.PathEscape(a2[0])+clientQuery(delClient), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(str(out["name"])), str(out["deleted"]))
			return nil
		}}
	del.Flags().StringVar(&delClient, "client", "", "the client whose script of that name to delete")
	c.AddCommand(put, list, show, versions, del)
	return c
}

// getScript fetches NAME|ID[@VERSION].
func (a *App) getScript(ref, client string) (map[string]any, error) {
	q := url.Values{}
	if client != "" {
		q.Set("client", client)
	}
	name, ver := splitVersion(ref)
	if ver != "" {
		q.Set("version", ver)
	}
	var out map[string]any
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
func owner(sc map[string]any) string {
	if str(sc["client_id"]) == "" {
		return "global"
	}
	if n := str(sc["client_name"]); n != "" {
		return "client " + Clean(n)
	}
	return "client " + str(sc["client_id"])
}

// printJobScript prints the library version and body hash a job ran.
func printJobScript(w io.Writer, job map[string]any) {
	sc, ok := job["script"].(map[string]any)
	if !ok {
		return
	}
	if str(sc["id"]) == "" {
		fmt.Fprintf(w, "script: ad hoc, sha256 %s\n", str(sc["sha256"]))
		return
	}
	fmt.Fprintf(w, "script: %s v%s (%s) sha256 %s\n", Clean(str(sc["name"])), str(sc["version"]), str(sc["id"]), str(sc["sha256"]))
}
