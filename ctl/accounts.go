package ctl

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
	"golang.org/x/term"
)

// prompt asks for one line on the terminal (without echo when secret) or
// reads it from the input when that is not a terminal (scripts, tests).
func (a *App) prompt(label string, secret bool) (string, error) {
	fmt.Fprint(a.Err, label)
	if f, ok := a.In.(*os.File); ok && secret && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.Err)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", strings.TrimSpace(label), err)
		}
		return string(b), nil
	}
	if a.inLines == nil {
		a.inLines = bufio.NewReader(a.In)
	}
	line, err := a.inLines.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read %s: %w", strings.TrimSpace(strings.TrimSuffix(label, ": ")), err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a *App) loginCmd() *cobra.Command {
	var user, name string
	c := &cobra.Command{Use: "login [--user NAME]", Short: "Log in (password and two-factor code) and save a token for later commands",
		Long: "With --user, asks for the password and two-factor code and saves a new API token (30 days) to the\n" +
			"config file. Without it, checks the token given by --token or STEWARD_TOKEN and saves it.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if user != "" {
				pw, err := a.prompt("Password: ", true)
				if err != nil {
					return err
				}
				body := api.LoginTokenRequest{Username: user, Password: pw, Name: name}
				var out api.LoginTokenResponse
				err = a.client().Do("POST", "/api/v1/auth/token", body, &out)
				var ae *APIError
				if errors.As(err, &ae) && ae.Code == api.CodeTOTPRequired {
					code, perr := a.prompt("Two-factor code: ", true)
					if perr != nil {
						return perr
					}
					body.Code = strings.TrimSpace(code)
					err = a.client().Do("POST", "/api/v1/auth/token", body, &out)
				}
				if err != nil {
					return err
				}
				a.cfg.Token = out.Token
			}
			var me api.Me
			if err := a.client().Do("GET", "/api/v1/me", nil, &me); err != nil {
				return err
			}
			if err := SaveConfig(a.cfgPath, a.cfg); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "logged in as %s (%s); saved to %s\n", Clean(me.Name), Clean(me.Role), a.cfgPath)
			return nil
		}}
	c.Flags().StringVar(&user, "user", "", "user name; asks for the password and two-factor code")
	c.Flags().StringVar(&name, "token-name", "stewardctl login", "name of the token this login creates")
	return c
}

// userID resolves a user name or ID.
func (a *App) userID(ref string) (string, error) {
	var us []api.User
	if err := a.client().Do("GET", "/api/v1/users", nil, &us); err != nil {
		return "", err
	}
	for _, u := range us {
		if u.ID == ref || strings.EqualFold(u.Name, ref) {
			return u.ID, nil
		}
	}
	return "", fmt.Errorf("no user %q", ref)
}

func (a *App) patchUser(ref string, body api.UpdateUserRequest) error {
	id, err := a.userID(ref)
	if err != nil {
		return err
	}
	var out api.User
	if err := a.client().Do("PATCH", "/api/v1/users/"+id, body, &out); err != nil {
		return err
	}
	return a.printUsers([]api.User{out})
}

func (a *App) printUsers(us []api.User) error {
	return printRecords(a, us, []string{"ID", "NAME", "ROLE", "CLIENTS", "2FA", "DISABLED"}, func(u api.User) []string {
		scope := "all"
		if !u.AllClients {
			names := make([]string, len(u.Clients))
			for i, id := range u.Clients {
				names[i] = a.clientName(id)
			}
			scope = strings.Join(names, "; ") // names may hold commas
		}
		return []string{u.ID, u.Name, u.Role, scope, strconv.FormatBool(u.TOTPEnabled), strconv.FormatBool(u.Disabled)}
	})
}

func (a *App) usersCmd() *cobra.Command {
	c := &cobra.Command{Use: "users", Short: "Manage technician accounts"}
	var role string
	var clients []string
	var all bool
	add := &cobra.Command{Use: "add NAME --role ROLE (--all-clients | --client C...)", Short: "Create a user; asks for the password",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.prompt("Password for "+args[0]+": ", true)
			if err != nil {
				return err
			}
			var out api.User
			body := api.CreateUserRequest{Name: args[0], Password: pw, Role: role, AllClients: all, Clients: clients}
			if err := a.client().Do("POST", "/api/v1/users", body, &out); err != nil {
				return err
			}
			return a.printUsers([]api.User{out})
		}}
	add.Flags().StringVar(&role, "role", "technician", "admin, technician, helpdesk or read-only")
	add.Flags().StringSliceVar(&clients, "client", nil, "client name or ID the user may see (repeatable)")
	add.Flags().BoolVar(&all, "all-clients", false, "the user may see every client")
	list := &cobra.Command{Use: "list", Short: "List users with their role, clients and two-factor state", RunE: func(cmd *cobra.Command, args []string) error {
		var us []api.User
		if err := a.client().Do("GET", "/api/v1/users", nil, &us); err != nil {
			return err
		}
		return a.printUsers(us)
	}}
	disable := &cobra.Command{Use: "disable USER", Short: "Disable a user and end all their sessions", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.patchUser(args[0], api.UpdateUserRequest{Disabled: ptr(true)})
		}}
	enable := &cobra.Command{Use: "enable USER", Short: "Enable a disabled user", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.patchUser(args[0], api.UpdateUserRequest{Disabled: ptr(false)})
		}}
	setRole := &cobra.Command{Use: "set-role USER ROLE", Short: "Change a user's role (admin, technician, helpdesk or read-only)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.patchUser(args[0], api.UpdateUserRequest{Role: &args[1]})
		}}
	var scopeAll bool
	scope := &cobra.Command{Use: "scope USER (--all-clients | CLIENT...)", Short: "Set the clients a user may see",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if scopeAll == (len(args) > 1) {
				return errors.New("give --all-clients or a list of clients")
			}
			cl := args[1:]
			return a.patchUser(args[0], api.UpdateUserRequest{AllClients: &scopeAll, Clients: &cl})
		}}
	scope.Flags().BoolVar(&scopeAll, "all-clients", false, "the user may see every client")
	reset := &cobra.Command{Use: "reset-2fa USER", Short: "Clear a user's two-factor (they enrol again at next login)",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.userID(args[0])
			if err != nil {
				return err
			}
			return a.client().Do("POST", "/api/v1/users/"+id+"/reset-2fa", nil, nil)
		}}
	c.AddCommand(add, list, disable, enable, setRole, scope, reset, a.usersSeatCmd())
	return c
}

func (a *App) twoFACmd() *cobra.Command {
	c := &cobra.Command{Use: "2fa", Short: "Your own two-factor authentication (TOTP)"}
	enroll := &cobra.Command{Use: "enroll", Short: "Enrol an authenticator app; prints the secret and recovery codes",
		RunE: func(cmd *cobra.Command, args []string) error {
			var setup api.TOTPSetupResponse
			if err := a.client().Do("POST", "/api/v1/auth/totp/setup", nil, &setup); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "Add this account to your authenticator app:\n  secret: %s\n  url:    %s\n", Clean(setup.Secret), Clean(setup.URL))
			code, err := a.prompt("Code from the app: ", false)
			if err != nil {
				return err
			}
			var out api.TOTPConfirmResponse
			if err := a.client().Do("POST", "/api/v1/auth/totp/confirm", api.CodeRequest{Code: strings.TrimSpace(code)}, &out); err != nil {
				return err
			}
			fmt.Fprintln(a.Out, "Two-factor enrolled. Recovery codes (each works once; store them safely):")
			for _, rc := range out.RecoveryCodes {
				fmt.Fprintln(a.Out, "  "+Clean(rc))
			}
			return nil
		}}
	disable := &cobra.Command{Use: "disable", Short: "Remove your two-factor (not allowed for admins by default)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.client().Do("POST", "/api/v1/me/totp/disable", nil, nil); err != nil {
				return err
			}
			fmt.Fprintln(a.Out, "two-factor disabled")
			return nil
		}}
	refresh := &cobra.Command{Use: "refresh", Short: "Prove two-factor again, so this token may open shells and mint tokens for a while",
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := a.prompt("Two-factor code: ", true)
			if err != nil {
				return err
			}
			if err := a.client().Refresh(code); err != nil {
				return err
			}
			fmt.Fprintln(a.Out, "two-factor checked; this token is fresh again")
			return nil
		}}
	c.AddCommand(enroll, disable, refresh)
	return c
}

// ptr returns a pointer to v (optional fields of a request).
func ptr[T any](v T) *T { return &v }
