package agent

import (
	"crypto/tls"
	"strings"

	"github.com/gorilla/websocket"
)

// adoptPins stores the pins the server advertises in welcome (its current
// and next certificates, for rotation), when they accept this connection.
func (a *Agent) adoptPins(ws *websocket.Conn, pins []string) {
	tc, ok := ws.UnderlyingConn().(*tls.Conn)
	if len(pins) == 0 || !ok {
		return
	}
	changed, err := a.id.AdoptPins(pins, tc.ConnectionState(), a.serverURL())
	if err != nil {
		a.log.Warn("keeping the stored server pins", "err", err)
	} else if changed {
		a.log.Info("stored the server's pins", "pins", strings.Join(pins, ","))
	}
}
