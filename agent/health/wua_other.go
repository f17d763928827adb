//go:build !windows

package health

import "log/slog"

func systemWUA(*slog.Logger) WUA { return nil }
