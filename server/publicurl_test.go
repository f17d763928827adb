package server

import (
	"os"
	"testing"
)

func TestDerivePublicURL(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	for _, tc := range []struct {
		hostnames     []string
		listen, bound string
		want          string
		guessed       bool
	}{
		{nil, "127.0.0.1:0", "127.0.0.1:41000", "https://127.0.0.1:41000", false},
		{nil, "[::1]:8443", "[::1]:8443", "https://[::1]:8443", false},
		{nil, "rmm.example:8443", "10.0.0.5:8443", "https://rmm.example:8443", false},
		{[]string{"rmm.example", "b.example"}, "0.0.0.0:443", "0.0.0.0:443", "https://rmm.example:443", false},
		{[]string{"rmm.example"}, "10.0.0.5:8443", "10.0.0.5:8443", "https://rmm.example:8443", false},
		{nil, "0.0.0.0:8443", "0.0.0.0:8443", "https://" + host + ":8443", true},
		{nil, "[::]:8443", "[::]:8443", "https://" + host + ":8443", true},
		{nil, ":8443", "[::]:8443", "https://" + host + ":8443", true},
	} {
		got, guessed := derivePublicURL(tc.hostnames, tc.listen, tc.bound)
		if got != tc.want || guessed != tc.guessed {
			t.Errorf("derivePublicURL(%v, %q, %q) = %q, %v; want %q, %v", tc.hostnames, tc.listen, tc.bound, got, guessed, tc.want, tc.guessed)
		}
	}
}

func TestCheckPublicURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"": true, "https://rmm.example": true, "https://rmm.example:8443/steward/": true, "https://[::1]:8443": true,
		"http://rmm.example": false, "https://": false, "https://u@rmm.example": false, "https://rmm.example/?x=1": false,
		"rmm.example:8443": false, "https://rmm.example/#x": false,
	} {
		if err := checkPublicURL(raw); (err == nil) != ok {
			t.Errorf("checkPublicURL(%q) = %v", raw, err)
		}
	}
}
