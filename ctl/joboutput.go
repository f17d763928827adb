package ctl

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/steward-rmm/steward/api"
)

// runOfJob turns a job ID given where a run ID belongs (jobs output j_...)
// into its run's ID when the job has exactly one run; with several it
// says so and lists them. Anything else is taken as a run ID.
func (a *App) runOfJob(ref string) (string, error) {
	if !strings.HasPrefix(ref, "j_") {
		return ref, nil
	}
	var out api.JobResponse
	if err := a.client().Do("GET", "/api/v1/jobs/"+url.PathEscape(ref), nil, &out); err != nil {
		return "", err
	}
	switch {
	case len(out.Runs) == 1:
		return out.Runs[0].ID, nil
	case len(out.Runs) == 0 && out.RunsOmitted == 0:
		return "", fmt.Errorf("job %s has no runs", ref)
	case len(out.Runs) == 0:
		return "", fmt.Errorf("job %s has %d runs; name one (stewardctl jobs show %s lists them)", ref, out.RunsOmitted, ref)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "job %s has %d runs; name one of them:\n", ref, len(out.Runs))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RUN\tDEVICE\tSTATE")
	for _, r := range out.Runs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", Clean(r.ID), Clean(r.DeviceID), Clean(r.State))
	}
	tw.Flush()
	return "", fmt.Errorf("%s", strings.TrimRight(b.String(), "\n"))
}
