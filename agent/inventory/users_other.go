//go:build !linux && !darwin && !windows

package inventory

import "errors"

var systemUsers = &recordCache{load: func() (string, func() ([]Login, error)) {
	return "", func() ([]Login, error) { return nil, errors.New("logged-in users are not read on this OS") }
}}
