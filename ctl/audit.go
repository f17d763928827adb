package ctl

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

func (a *App) auditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Read and verify the audit log"}
	var action, actor, client string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List audit events, newest first", RunE: func(cmd *cobra.Command, args []string) error {
		if err := intFlag("limit", limit, 1, 5000, ""); err != nil {
			return err
		}
		q := url.Values{"action": {action}, "actor": {actor}, "client": {client}, "limit": {strconv.Itoa(limit)}}
		var out []api.AuditEvent
		if err := a.client().Do("GET", "/api/v1/audit?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"SEQ", "AT", "ACTOR", "SOURCE", "CLIENT", "ACTION", "TARGET", "DETAIL"},
			func(e api.AuditEvent) []string {
				var clients []string
				if e.Client != "" {
					for _, id := range strings.Split(e.Client, ",") {
						clients = append(clients, a.clientName(id))
					}
				}
				return []string{strconv.FormatUint(e.Seq, 10), tstr(e.At), e.Actor, e.Source, strings.Join(clients, "; "), e.Action, e.Target,
					detailText(e.Detail)}
			})
	}}
	list.Flags().StringVar(&action, "action", "", "action prefix, e.g. job. or shell.")
	list.Flags().StringVar(&actor, "actor", "", "user name")
	list.Flags().StringVar(&client, "client", "", "only events concerning this client (name or ID)")
	list.Flags().IntVar(&limit, "limit", 500, "at most this many")
	var anchor string
	verify := &cobra.Command{Use: "verify [--anchor FILE]", Short: "Check the audit chain (exit 1 when broken)",
		Long: "Asks the server to recompute the keyed audit chain and check it against its anchor file. With\n" +
			"--anchor, also checks the records against a copy of the anchor file kept off the server host.",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AuditVerify
			if err := a.client().Do("GET", "/api/v1/audit/verify", nil, &out); err != nil {
				return err
			}
			if !out.OK {
				firstBad := "<nil>"
				if out.FirstBad != nil {
					firstBad = strconv.FormatUint(*out.FirstBad, 10)
				}
				fmt.Fprintf(a.Out, "audit log BROKEN at record %s (%d records verified): %s\n", firstBad, out.Records, Clean(out.Error))
				return &ExitError{Code: 1}
			}
			if anchor != "" {
				if seq, why, err := a.checkAnchorCopy(anchor); err != nil {
					return err
				} else if why != "" {
					fmt.Fprintf(a.Out, "audit log BROKEN at record %d: %s (anchor copy %s)\n", seq, why, anchor)
					return &ExitError{Code: 1}
				}
			}
			fmt.Fprintf(a.Out, "audit log intact: %d records\n", out.Records)
			return nil
		}}
	verify.Flags().StringVar(&anchor, "anchor", "", "a copy of the server's audit anchor file (shipped off the host)")
	c.AddCommand(list, verify)
	return c
}

// checkAnchorCopy compares every chain head in an anchor file with the
// records the server returns: each anchored record must exist with that
// MAC. It returns the first record that does not.
func (a *App) checkAnchorCopy(path string) (uint64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	heads := map[uint64]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "steward-audit ")
		if i < 0 {
			continue
		}
		var seq uint64
		var mac string
		for _, fld := range strings.Fields(line[i+len("steward-audit "):]) {
			k, v, _ := strings.Cut(fld, "=")
			switch k {
			case "seq":
				seq, _ = strconv.ParseUint(v, 10, 64)
			case "mac":
				mac = v
			}
		}
		if seq != 0 && mac != "" {
			if old, ok := heads[seq]; ok && old != mac {
				return seq, "the anchor copy holds two different heads for this record", nil
			}
			heads[seq] = mac
		}
	}
	if err := sc.Err(); err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	got := map[uint64]string{}
	var after uint64
	for {
		var page []api.AuditEvent
		if err := a.client().Do("GET", "/api/v1/audit?limit=5000&after="+strconv.FormatUint(after, 10), nil, &page); err != nil {
			return 0, "", err
		}
		for _, e := range page {
			got[e.Seq], after = e.MAC, e.Seq
		}
		if len(page) < 5000 {
			break
		}
	}
	var bad uint64
	why := ""
	for seq, mac := range heads {
		if g, ok := got[seq]; (!ok || g != mac) && (bad == 0 || seq < bad) {
			bad, why = seq, "differs from the anchor copy"
			if !ok {
				why = "missing, but the anchor copy has it"
			}
		}
	}
	return bad, why, nil
}
