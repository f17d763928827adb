//go:build linux

package sessions

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// logindHints asks logind over the system bus (no process started) for
// the idle and lock hints of the sessions; an unreachable bus gives none.
func logindHints(ids []string) (map[string]hints, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	mgr := conn.Object("org.freedesktop.login1", "/org/freedesktop/login1")
	out := map[string]hints{}
	for _, id := range ids {
		var path dbus.ObjectPath
		if err := mgr.CallWithContext(ctx, "org.freedesktop.login1.Manager.GetSession", 0, id).Store(&path); err != nil {
			continue
		}
		var props map[string]dbus.Variant
		if err := conn.Object("org.freedesktop.login1", path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0,
			"org.freedesktop.login1.Session").Store(&props); err != nil {
			continue
		}
		plain := make(map[string]any, len(props))
		for k, v := range props {
			plain[k] = v.Value()
		}
		if h, ok := hintsFrom(plain); ok {
			out[id] = h
		}
	}
	return out, nil
}
