package clients

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Field lengths, in characters.
const (
	maxLine      = 200
	maxShort     = 50
	maxAddress   = 500
	maxNotes     = 10000
	maxDomains   = 50
	maxDevices   = 100
	maxFieldText = 2000
	maxOptions   = 50
)

// line validates an optional one-line field: "" stays "", anything else
// must be printable text (no control or bidi characters), trimmed.
func line(field, s string, max int) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return httpx.CleanName(field, s, max)
}

// text validates an optional multi-line field (an address, notes): like
// line, with line breaks and tabs allowed; CRLF becomes LF.
func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return "", nil
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", fmt.Errorf("%s must be valid UTF-8", field)
	}
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if !unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r) {
			return "", fmt.Errorf("%s must be printable text: no control, formatting or bidi characters (found U+%04X)", field, r)
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("%s is too long: at most %d characters (got %d)", field, max, n)
	}
	return s, nil
}

// phone parses an optional phone number: it returns the number as entered
// (trimmed) and in E.164. A number without a country code is read as one
// of region.
func phone(field, s, region string) (entered, e164 string, err error) {
	s, err = line(field, s, maxShort)
	if err != nil || s == "" {
		return "", "", err
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", "", fmt.Errorf("%s %q is not a valid phone number (give the country code, e.g. +44 20 7946 0000, "+
			"or a number of region %s)", field, s, region)
	}
	return s, phonenumbers.Format(num, phonenumbers.E164), nil
}

// email validates an optional e-mail address: a bare address, with a
// domain that has a dot.
func email(s string) (string, error) {
	s, err := line("e-mail", s, 254)
	if err != nil || s == "" {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	_, domain, _ := strings.Cut(s, "@")
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", fmt.Errorf("e-mail %q is not a valid address (like name@example.com)", s)
	}
	return s, nil
}

var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

// domains validates a list of DNS domains: lowercased, without a scheme
// or path, each once.
func domains(in []string) ([]string, error) {
	var out []string
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
		d = strings.TrimSuffix(d, "/")
		if d == "" || slices.Contains(out, d) {
			continue
		}
		if len(d) > 253 || !hostRE.MatchString(d) {
			return nil, fmt.Errorf("domain %q is not a DNS name like example.com (international names in punycode, xn--...)", d)
		}
		out = append(out, d)
	}
	if len(out) > maxDomains {
		return nil, fmt.Errorf("at most %d domains (got %d)", maxDomains, len(out))
	}
	return out, nil
}

// website validates an optional web address; a bare host gets https://.
// Only http and https are links (a javascript: URL never is).
func website(s string) (string, error) {
	s, err := line("website", s, 500)
	if err != nil || s == "" {
		return "", err
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("website %q is not an http or https address", s)
	}
	return s, nil
}

// sip validates an optional SIP address and returns it as sip:user@host
// (or sips:).
func sip(s string) (string, error) {
	s, err := line("SIP address", s, 254)
	if err != nil || s == "" {
		return "", err
	}
	scheme := "sip:"
	rest := s
	if low := strings.ToLower(s); strings.HasPrefix(low, "sips:") {
		scheme, rest = "sips:", s[5:]
	} else if strings.HasPrefix(low, "sip:") {
		rest = s[4:]
	}
	user, host, ok := strings.Cut(rest, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(rest, " <>\"") || strings.Count(rest, "@") != 1 {
		return "", fmt.Errorf("SIP address %q is not like sip:name@example.com", s)
	}
	return scheme + rest, nil
}

// rankingOf reads a ranking as a number (0-5) or a name (low..critical).
func rankingOf(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(api.Rankings) {
		return n, nil
	}
	if i := slices.Index(api.Rankings, s); i > 0 {
		return i, nil
	}
	return 0, fmt.Errorf("ranking %q: give 0 (none) to 5 or one of %s", s, strings.Join(api.Rankings[1:], ", "))
}

// fieldValue validates a custom field's value by the field's type and
// returns its canonical text ("" clears it).
func fieldValue(f store.ClientField, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	switch f.Type {
	case api.FieldText:
		return text(fmt.Sprintf("custom field %q", f.Label), v, maxFieldText)
	case api.FieldNumber:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "", fmt.Errorf("custom field %q is a number: %q is not one", f.Label, v)
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
	case api.FieldDate:
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", fmt.Errorf("custom field %q is a date: %q is not one (use YYYY-MM-DD)", f.Label, v)
		}
		return d.Format(time.DateOnly), nil
	case api.FieldBool:
		switch strings.ToLower(v) {
		case "true", "yes", "y", "1":
			return "true", nil
		case "false", "no", "n", "0":
			return "false", nil
		}
		return "", fmt.Errorf("custom field %q is yes or no: %q is neither", f.Label, v)
	case api.FieldChoice:
		for _, o := range f.Options {
			if strings.EqualFold(o, v) {
				return o, nil
			}
		}
		return "", fmt.Errorf("custom field %q is one of %s: %q is not", f.Label, strings.Join(f.Options, ", "), v)
	}
	return "", fmt.Errorf("custom field %q has an unknown type %q", f.Label, f.Type)
}

var fieldTypes = []string{api.FieldText, api.FieldNumber, api.FieldDate, api.FieldBool, api.FieldChoice}

// fieldDef validates a custom field definition against the others.
func fieldDef(req api.ClientFieldRequest, others []store.ClientField, id string) (store.ClientField, error) {
	label, err := httpx.CleanName("label", req.Label, 100)
	if err != nil {
		return store.ClientField{}, err
	}
	if _, builtin := builtinLabel(label); builtin {
		return store.ClientField{}, fmt.Errorf("label %q is a built-in field", label)
	}
	for _, o := range others {
		if o.ID != id && strings.EqualFold(o.Label, label) {
			return store.ClientField{}, fmt.Errorf("a custom field is already labelled %q", o.Label)
		}
	}
	if !slices.Contains(fieldTypes, req.Type) {
		return store.ClientField{}, fmt.Errorf("type %q: give one of %s", req.Type, strings.Join(fieldTypes, ", "))
	}
	f := store.ClientField{ID: id, Label: label, Type: req.Type, Order: req.Order}
	if req.Type != api.FieldChoice {
		if len(req.Options) > 0 {
			return f, errors.New("only a choice field has options")
		}
		return f, nil
	}
	for _, o := range req.Options {
		o, err := httpx.CleanName("option", o, 100)
		if err != nil {
			return f, err
		}
		if slices.ContainsFunc(f.Options, func(x string) bool { return strings.EqualFold(x, o) }) {
			return f, fmt.Errorf("option %q is given twice", o)
		}
		f.Options = append(f.Options, o)
	}
	if len(f.Options) == 0 || len(f.Options) > maxOptions {
		return f, fmt.Errorf("a choice field needs 1 to %d options (got %d)", maxOptions, len(f.Options))
	}
	return f, nil
}

// builtinLabel finds a built-in overview field by label.
func builtinLabel(label string) (string, bool) {
	for _, b := range builtins {
		if strings.EqualFold(b.Label, label) {
			return b.Key, true
		}
	}
	return "", false
}
