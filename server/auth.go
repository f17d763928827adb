package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	"golang.org/x/crypto/bcrypt"
)

// Permissions. A role is a fixed set of them.
const (
	permView     = "view"
	permRun      = "run"
	permShell    = "shell"
	permPower    = "power"
	permPatch    = "patch"
	permServices = "services"
	permClients  = "clients" // manage clients and enrollment tokens
	permUsers    = "users"   // manage users
	permAudit    = "audit"
	permAdmin    = "admin" // server administration: agent releases, pprof
	// permRecordings reads shell recordings (scoped to the holder's clients).
	permRecordings = "recordings"
)

// Roles.
const (
	roleAdmin      = "admin"
	roleTechnician = "technician"
	roleHelpdesk   = "helpdesk"
	roleReadOnly   = "read-only"
)

var rolePerms = map[string][]string{
	roleAdmin:      {permView, permRun, permShell, permPower, permPatch, permServices, permClients, permUsers, permAudit, permAdmin, permRecordings},
	roleTechnician: {permView, permRun, permShell, permPower, permPatch, permServices, permClients},
	roleHelpdesk:   {permView, permServices},
	roleReadOnly:   {permView},
}

var errNotFound = errors.New("not found")

// bootstrapTokenLife is how long the first-start admin token works.
const bootstrapTokenLife = 24 * time.Hour

// principal is the authenticated caller of an API request.
type principal struct {
	UserID     string
	Name       string
	Role       string
	Perms      []string
	AllClients bool
	Clients    []string
	Via        string // token, session
	TokenID    string
	Session    *store.Session
	// SecondFactorAt is when this caller last proved two-factor.
	SecondFactorAt time.Time
	Remote         string
	// Partial marks a session past the password but not two-factor: it
	// may only finish two-factor or log out.
	Partial bool
}

func (p *principal) has(perm string) bool { return slices.Contains(p.Perms, perm) }

// clientScope returns nil for all clients, else the allowed list.
func (p *principal) clientScope() []string {
	if p.AllClients {
		return nil
	}
	if p.Clients == nil {
		return []string{}
	}
	return p.Clients
}

func (p *principal) canSeeClient(id string) bool {
	return p.AllClients || slices.Contains(p.Clients, id)
}

// scope is p's client scope as a store query field.
func (p *principal) scope() store.Scope {
	return store.Scope{Only: !p.AllClients, Clients: p.Clients}
}

// authService authenticates API callers.
type authService struct {
	s *Server
}

func newAuthService(s *Server) *authService { return &authService{s: s} }

// bootstrap creates the first admin and its API token exactly once.
func (a *authService) bootstrap() error {
	s := a.s
	if err := s.st.SetMetaOnce("setup", time.Now().UTC().Format(time.RFC3339)); errors.Is(err, store.ErrExists) {
		return nil
	} else if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	password := newSecret("pw")
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	u := store.User{ID: newID("u"), Name: "admin", PasswordHash: string(hash), Role: roleAdmin, AllClients: true,
		CreatedAt: s.now()}
	if err := s.st.CreateUser(u); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// The first-start token only sets the server up: it expires after
	// bootstrapTokenLife and carries no second factor, so it cannot open
	// shells, run scripts or mint tokens until the admin enrols two-factor
	// and refreshes it with a code (POST /api/v1/auth/totp).
	token := newSecret("stw")
	if err := s.st.PutAPIToken(store.APIToken{ID: newID("t"), Hash: hashSecret(token), UserID: u.ID, Name: "initial admin token",
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
	s.auditSystem("setup.admin_created", u.ID, map[string]string{"user": "admin"})
	return nil
}

func (a *authService) principalFor(u *store.User) *principal {
	perms := slices.Clone(rolePerms[u.Role])
	if !u.AllClients {
		// The audit log, metrics and server administration span every
		// client, so a user scoped to some clients never holds them.
		perms = slices.DeleteFunc(perms, func(p string) bool { return p == permAudit || p == permAdmin })
	}
	return &principal{UserID: u.ID, Name: u.Name, Role: u.Role, Perms: perms, AllClients: u.AllClients, Clients: u.Clients}
}

// fromToken authenticates a bearer token.
func (a *authService) fromToken(secret string) (*principal, error) {
	t, err := a.s.st.APITokenByHash(hashSecret(secret))
	if err != nil {
		return nil, errUnauthorized
	}
	if t.Revoked || (!t.ExpiresAt.IsZero() && a.s.now().After(t.ExpiresAt)) {
		return nil, errUnauthorized
	}
	u, err := a.s.st.User(t.UserID)
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
		p.Perms = slices.DeleteFunc(p.Perms, func(x string) bool { return x == permRun || x == permShell })
	}
	return p, nil
}

var errUnauthorized = errors.New("unauthorized")

// authenticate finds the caller of a request: bearer token or session cookie.
func (a *authService) authenticate(r *http.Request) (*principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return nil, errUnauthorized
		}
		return a.fromToken(strings.TrimSpace(tok))
	}
	return a.fromSession(r)
}
