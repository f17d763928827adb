package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/steward-rmm/steward/api"
)

// freshToken gets an admin token that passed two-factor, as an operator
// would: the first-start token (which may not run jobs or shells) enrols
// TOTP for admin, then admin logs in with password and a recovery code.
func (s *server) freshToken() error {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(s.data, name))
		return strings.TrimSpace(string(b)), err
	}
	boot, err := read("admin-token")
	if err != nil {
		return err
	}
	pw, err := read("admin-password")
	if err != nil {
		return err
	}
	// A data directory from an earlier run already has admin's secret.
	secretFile := filepath.Join(s.data, "bench-totp-secret")
	secret, _ := read("bench-totp-secret")
	var code string
	if secret != "" {
		if code, err = totp.GenerateCode(secret, time.Now()); err != nil {
			return err
		}
	} else {
		s.token = boot
		var setup api.TOTPSetupResponse
		if err := s.api("POST", "/api/v1/auth/totp/setup", nil, &setup); err != nil {
			return err
		}
		if code, err = totp.GenerateCode(setup.Secret, time.Now()); err != nil {
			return err
		}
		var conf api.TOTPConfirmResponse
		if err := s.api("POST", "/api/v1/auth/totp/confirm", api.CodeRequest{Code: code}, &conf); err != nil {
			return err
		}
		if len(conf.RecoveryCodes) == 0 {
			return errors.New("no recovery codes")
		}
		if err := os.WriteFile(secretFile, []byte(setup.Secret+"\n"), 0o600); err != nil {
			return err
		}
		code = conf.RecoveryCodes[0]
	}
	s.token = ""
	var tok api.LoginTokenResponse
	if err := s.api("POST", "/api/v1/auth/token", api.LoginTokenRequest{Username: "admin", Password: pw,
		Code: code, Name: "bench", ExpiresSeconds: 7 * 86400}, &tok); err != nil {
		return err
	}
	s.token = tok.Token
	return nil
}
