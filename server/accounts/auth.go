package accounts

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	"golang.org/x/crypto/bcrypt"
)

// bootstrapTokenLife is how long the first-start admin token works.
const bootstrapTokenLife = 24 * time.Hour

// Bootstrap creates the first admin and its API token exactly once.
func (a *Wing) Bootstrap() error {
	s := a
	if err := s.st.SetMetaOnce("setup", time.Now().UTC().Format(time.RFC3339)); errors.Is(err, store.ErrExists) {
		return nil
	} else if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	password := httpx.NewSecret("pw")
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	u := store.User{ID: httpx.NewID("u"), Name: "admin", PasswordHash: string(hash), Role: httpx.RoleAdmin, AllClients: true,
		CreatedAt: s.now()}
	if err := s.st.CreateUser(u); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// The first-start token only sets the server up: it expires after
	// bootstrapTokenLife and carries no second factor, so it cannot open
	// shells, run scripts or mint tokens until the admin enrols two-factor
	// and refreshes it with a code (POST /api/v1/auth/totp).
	token := httpx.NewSecret("stw")
	if err := s.st.PutAPIToken(store.APIToken{ID: httpx.NewID("t"), Hash: httpx.HashSecret(token), UserID: u.ID, Name: "initial admin token",
		CreatedAt: s.now().UTC(), ExpiresAt: s.now().Add(bootstrapTokenLife).UTC()}); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if err := writeSecretFile(s.cfg.DataDir, "admin-token", token); err != nil {
		return err
	}
	if err := writeSecretFile(s.cfg.DataDir, "admin-password", password); err != nil {
		return err
	}
	// Only the file names are logged, never the secrets.
	s.log.Info("created first admin account; its password and a 24-hour API token are in the data directory (mode 0600)",
		"user", "admin", "token_file", "admin-token", "password_file", "admin-password")
	s.alog.AuditSystem("setup.admin_created", u.ID, map[string]string{"user": "admin"})
	return nil
}

func (a *Wing) principalFor(u *store.User) *httpx.Principal {
	perms := slices.Clone(httpx.RolePerms[u.Role])
	if !u.AllClients {
		// The audit log, metrics, server administration and the service
		// desk's SLAs and statuses span every client, so a user scoped to
		// some clients never holds them.
		perms = slices.DeleteFunc(perms, func(p string) bool {
			return p == httpx.PermAudit || p == httpx.PermAdmin || p == httpx.PermNotifications || p == httpx.PermTicketsAdmin
		})
	}
	return &httpx.Principal{UserID: u.ID, Name: u.Name, Role: u.Role, Perms: perms, AllClients: u.AllClients, Clients: u.Clients,
		NoSeats: noSeats(u)}
}

// fromToken authenticates a bearer token.
func (a *Wing) fromToken(secret string) (*httpx.Principal, error) {
	t, err := a.st.APITokenByHash(httpx.HashSecret(secret))
	if err != nil {
		return nil, errUnauthorized
	}
	if t.Revoked || (!t.ExpiresAt.IsZero() && a.now().After(t.ExpiresAt)) {
		return nil, errUnauthorized
	}
	u, err := a.st.User(t.UserID)
	if err != nil || u.Disabled || t.Epoch < u.Epoch {
		return nil, errUnauthorized
	}
	p := a.principalFor(&u)
	if len(t.Perms) > 0 {
		// A token never exceeds its user: intersect.
		p.Perms = slices.DeleteFunc(p.Perms, func(x string) bool { return !slices.Contains(t.Perms, x) })
	}
	p.Via, p.TokenID = "token", t.ID
	// A token is as fresh as the two-factor check behind it, no fresher.
	p.SecondFactorAt = t.SecondFactorAt
	if t.SecondFactorAt.IsZero() && a.needs2FA(&u) {
		// A token that never passed two-factor (the first-start token, or
		// one from before the user enrolled) cannot run code for a user
		// who has or must have a second factor.
		// Writing files can replace programs, so it is withheld too.
		codePerms := []string{httpx.PermRun, httpx.PermShell, httpx.PermFilesWrite,
			httpx.PermRegistryWrite} // registry writes can start programs (Run keys, services)
		for _, x := range codePerms {
			if p.Has(x) {
				p.Withheld = append(p.Withheld, x)
			}
		}
		p.Perms = slices.DeleteFunc(p.Perms, func(x string) bool { return slices.Contains(codePerms, x) })
	}
	return p, nil
}

var errUnauthorized = errors.New("unauthorized")

// Authenticate finds the caller of a request: bearer token or session cookie.
func (a *Wing) Authenticate(r *http.Request) (*httpx.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return nil, errUnauthorized
		}
		return a.fromToken(strings.TrimSpace(tok))
	}
	return a.fromSession(r)
}

// writeSecretFile writes a first-start secret for the operator to read
// (mode 0600).
func writeSecretFile(dir, name, content string) error {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.TrimSpace(content)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return os.Chmod(p, 0o600)
}
