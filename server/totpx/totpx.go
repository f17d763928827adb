// Package totpx is the second factor operators and customer portal users
// share: RFC 6238 codes of 6 digits every 30 s with SHA-1 (what
// authenticator apps expect), enrolment keys with their QR code, and
// matching a code with one step of clock skew either way.
package totpx

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/steward-rmm/steward/api"
)

// Period is the length of a code's time step in seconds.
const Period = 30

// NewKey makes an enrolment key for account, shown under issuer.
func NewKey(issuer, account string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: Period,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// Setup is the enrolment answer for key: its secret, its otpauth URL and
// a QR code of it (omitted if it cannot be drawn).
func Setup(key *otp.Key) api.TOTPSetupResponse {
	out := api.TOTPSetupResponse{Secret: key.Secret(), URL: key.URL()}
	if img, err := key.Image(200, 200); err == nil {
		var buf bytes.Buffer
		if png.Encode(&buf, img) == nil {
			out.QRPNG = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
		}
	}
	return out
}

// Match returns the time step a 6-digit code of secret belongs to,
// allowing one step of clock skew either way (callers refuse a step used
// before, so a code counts once).
func Match(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / Period
	for _, st := range []int64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*Period, 0), totp.ValidateOpts{
			Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}
