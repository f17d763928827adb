// How one search box text is read: the normalised keys it may be (a
// phone number in E.164, a MAC as 12 hex digits, an e-mail, a SIP
// address, an IP, a domain, a serial or ID, name words), each searched
// in the index that holds that kind of key.

package helpdesk

import (
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// keys are the forms a query may be; "" = not that form.
type keys struct {
	Name   string // words of a name (lower case)
	Email  string // lower case
	SIP    string // sip:user@host, lower case
	Phone  string // E.164
	MAC    string // 12 lower-case hex digits
	IP     string // canonical
	Domain string // lower case host name
	Token  string // one word as typed: an ID or a serial
}

// read lists the kinds of key searched, for the answer.
func (k keys) read() []string {
	var out []string
	for _, f := range []struct {
		v, name string
	}{{k.Name, "name"}, {k.Email, "email"}, {k.SIP, "sip"}, {k.Phone, "phone"}, {k.MAC, "mac"}, {k.IP, "ip"},
		{k.Domain, "domain"}, {k.Token, "serial"}, {k.Token, "id"}} {
		if f.v != "" {
			out = append(out, f.name)
		}
	}
	return out
}

var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

// parseQuery reads q with region as the country of national phone
// numbers.
func parseQuery(q, region string) keys {
	q = strings.TrimSpace(q)
	low := strings.ToLower(q)
	var k keys
	if q == "" {
		return k
	}
	if s := normSIP(q); s != "" {
		k.SIP = s
		return k
	}
	if strings.Contains(q, "@") && !strings.ContainsAny(q, " \t") {
		k.Email = low
		k.SIP = "sip:" + low
		return k
	}
	if ip := net.ParseIP(q); ip != nil {
		k.IP = ip.String()
		return k
	}
	k.MAC = normMAC(q)
	k.Phone = normPhone(q, region)
	if h := normDomain(low); h != "" {
		k.Domain = h
	}
	if !strings.ContainsAny(q, " \t") && len(q) >= 3 {
		k.Token = q
	}
	// Text with a letter is also a name; a number alone is not (it would
	// match every name word that starts with its digits).
	if strings.ContainsFunc(low, func(r rune) bool { return r >= 'a' && r <= 'z' || r > 0x7f }) && k.MAC == "" {
		k.Name = low
	}
	return k
}

// normSIP returns a SIP address as sip:user@host (lower case), or "" if s
// does not start with sip: or sips:.
func normSIP(s string) string {
	low := strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"sip:", "sips:"} {
		if rest, ok := strings.CutPrefix(low, p); ok {
			user, host, ok := strings.Cut(rest, "@")
			if !ok || user == "" || host == "" || strings.ContainsAny(rest, " \t") {
				return ""
			}
			return "sip:" + rest
		}
	}
	return ""
}

// normMAC returns a MAC typed with colons, dashes, dots or nothing as 12
// lower-case hex digits, or "".
func normMAC(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f':
			b.WriteRune(r)
		case r == ':' || r == '-' || r == '.':
		default:
			return ""
		}
	}
	if b.Len() != 12 {
		return ""
	}
	return b.String()
}

// normPhone returns s as an E.164 number when it is a valid phone number
// in any common form (international with +, or national in region), or "".
func normPhone(s, region string) string {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). /", r):
		default:
			return ""
		}
	}
	if digits < 7 || digits > 15 {
		return ""
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}

// normDomain returns the host of a domain or URL typed in lower case, or
// "".
func normDomain(low string) string {
	if strings.ContainsAny(low, " \t") || !strings.Contains(low, ".") {
		return ""
	}
	h := low
	if strings.Contains(low, "://") {
		u, err := url.Parse(low)
		if err != nil {
			return ""
		}
		h = u.Hostname()
	} else if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if !hostRE.MatchString(h) {
		return ""
	}
	return h
}
