package totpx

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TestMatch: a code matches its own step and one step either side, never
// two steps away, a wrong code or another length.
func TestMatch(t *testing.T) {
	key, err := NewKey("Steward", "ann")
	if err != nil {
		t.Fatal(err)
	}
	if s := Setup(key); s.Secret != key.Secret() || s.URL == "" || s.QRPNG == "" {
		t.Fatalf("setup %+v", s)
	}
	now := time.Unix(1_800_000_015, 0)
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, d := range []time.Duration{0, -Period * time.Second, Period * time.Second} {
		if st, ok := Match(key.Secret(), code(now.Add(d)), now); !ok || st != now.Add(d).Unix()/Period {
			t.Errorf("code of %v: step %d %v", d, st, ok)
		}
	}
	if _, ok := Match(key.Secret(), code(now.Add(-2*Period*time.Second)), now); ok {
		t.Error("a code two steps old matched")
	}
	if _, ok := Match(key.Secret(), "12345", now); ok {
		t.Error("a 5-digit code matched")
	}
}
