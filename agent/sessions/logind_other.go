//go:build !linux

package sessions

import "errors"

func logindHints([]string) (map[string]hints, error) { return nil, errors.New("logind is Linux's") }
