package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
	"golang.org/x/term"
)

// Resize is a terminal size change to forward.
type Resize struct{ Cols, Rows int }

// Pipe relays a shell websocket to local streams until the remote shell
// ends, returning its exit status. It is the terminal-free core of
// `stewardctl shell`.
func Pipe(ws *websocket.Conn, in io.Reader, out io.Writer, resizes <-chan Resize) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		for {
			mt, b, err := ws.ReadMessage()
			if err != nil {
				done <- result{-1, errors.New("connection closed before the shell exited")}
				return
			}
			if mt == websocket.BinaryMessage {
				if _, err := out.Write(b); err != nil {
					done <- result{-1, err}
					return
				}
				continue
			}
			var c api.ShellControl
			if json.Unmarshal(b, &c) != nil {
				continue
			}
			switch c.Type {
			case "exit":
				done <- result{c.Code, nil}
				return
			case "error":
				done <- result{1, fmt.Errorf("%s", Clean(c.Message))}
				return
			}
		}
	}()
	var wmu = make(chan struct{}, 1)
	write := func(mt int, b []byte) error {
		wmu <- struct{}{}
		defer func() { <-wmu }()
		_ = ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
		return ws.WriteMessage(mt, b)
	}
	go func() {
		for r := range resizes {
			b, _ := json.Marshal(api.ShellControl{Type: "resize", Cols: r.Cols, Rows: r.Rows})
			if write(websocket.TextMessage, b) != nil {
				return
			}
		}
	}()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				if write(websocket.BinaryMessage, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	r := <-done
	return r.code, r.err
}

func (a *App) shellCmd() *cobra.Command {
	var shell string
	c := &cobra.Command{Use: "shell DEVICE", Short: "Open an interactive shell on a device", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolveDevice(args[0])
			if err != nil {
				return err
			}
			cols, rows := 80, 24
			fd := int(os.Stdin.Fd())
			isTerm := term.IsTerminal(fd)
			if isTerm {
				if w, h, err := term.GetSize(fd); err == nil {
					cols, rows = w, h
				}
			}
			u, err := url.Parse(strings.TrimRight(a.cfg.Server, "/"))
			if err != nil {
				return err
			}
			origin := u.Scheme + "://" + u.Host
			u.Scheme = "wss"
			// A one-time ticket, minted with this token, opens the websocket.
			var tk struct {
				Ticket string `json:"ticket"`
			}
			if err := a.client().Do("POST", "/api/v1/devices/"+url.PathEscape(id)+"/shell/ticket", nil, &tk); err != nil {
				return err
			}
			u.Path += "/api/v1/devices/" + url.PathEscape(id) + "/shell"
			u.RawQuery = url.Values{"shell": {shell}, "cols": {fmt.Sprint(cols)}, "rows": {fmt.Sprint(rows)},
				"ticket": {tk.Ticket}}.Encode()
			h := http.Header{"Authorization": {"Bearer " + a.cfg.Token}, "Origin": {origin}}
			d := websocket.Dialer{TLSClientConfig: TLSConfig(a.cfg), HandshakeTimeout: 30 * time.Second}
			ws, resp, err := d.Dial(u.String(), h)
			if err != nil {
				if resp != nil {
					var e struct {
						Error string `json:"error"`
					}
					_ = json.NewDecoder(resp.Body).Decode(&e)
					return &APIError{Status: resp.StatusCode, Message: e.Error}
				}
				return err
			}
			defer ws.Close()
			resizes := make(chan Resize, 4)
			if isTerm {
				old, err := term.MakeRaw(fd)
				if err != nil {
					return err
				}
				// Restored on every way out, including errors.
				defer term.Restore(fd, old)
				stop := watchResize(fd, resizes)
				defer stop()
			}
			code, err := Pipe(ws, a.In, a.Out, resizes)
			if isTerm {
				fmt.Fprint(a.Out, "\r\n")
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		}}
	c.Flags().StringVar(&shell, "shell", "", "shell to start (sh, bash, zsh, powershell, cmd, ...)")
	return c
}
