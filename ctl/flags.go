package ctl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Flags are checked here, before any request, so an error names the flag
// the user typed and only the one that is wrong; the server's own checks
// stay the authority, and their field names are mapped back to flags
// (fieldsAnnotation).

const (
	day  = 24 * time.Hour
	year = 365 * day
	week = 7 * day
)

// durationFlag parses the value of --name (a Go duration or Nd) and
// requires it to be at least a second and, when max > 0, at most max.
func durationFlag(name, v string, max time.Duration) (time.Duration, error) {
	d, err := ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: want a duration such as 30s, 10m, 24h or 7d", name, v)
	}
	if d < time.Second {
		return 0, fmt.Errorf("--%s must be at least 1s", name)
	}
	if max > 0 && d > max {
		return 0, fmt.Errorf("--%s may be at most %s", name, durText(max))
	}
	return d, nil
}

// durText shows a limit the way a user would type it.
func durText(d time.Duration) string {
	if d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// intFlag requires --name to be within [min, max] (max 0: no upper bound).
func intFlag(name string, v, min, max int, hint string) error {
	if v < min {
		return fmt.Errorf("--%s must be at least %d%s", name, min, hint)
	}
	if max > 0 && v > max {
		return fmt.Errorf("--%s may be at most %d", name, max)
	}
	return nil
}

// fieldsAnnotation is the cobra annotation mapping the API's field names
// in a command's request to its flags: "max_uses=--uses,expires_seconds=--expires".
const fieldsAnnotation = "stewardctl/fields"

// withFields records which flag sets each API field of c's request.
func withFields(c *cobra.Command, pairs ...string) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[fieldsAnnotation] = strings.Join(pairs, ",")
	return c
}

// flagNames rewrites the API field names in a 400 answer to cmd's flag
// names, so "max_uses must be ..." reads "--uses must be ...".
func flagNames(cmd *cobra.Command, err error) error {
	var ae *APIError
	if cmd == nil || !errors.As(err, &ae) || ae.Status != 400 {
		return err
	}
	m := cmd.Annotations[fieldsAnnotation]
	if m == "" {
		return err
	}
	msg := ae.Message
	for _, p := range strings.Split(m, ",") {
		field, flag, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		msg = regexp.MustCompile(`\b`+regexp.QuoteMeta(field)+`\b`).ReplaceAllString(msg, flag)
	}
	if msg == ae.Message {
		return err
	}
	return &APIError{Status: ae.Status, Message: msg, Code: ae.Code}
}
