package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Alert change kinds.
const (
	KindRaised    = "raised"
	KindEscalated = "escalated"
	KindResolved  = "resolved"
	KindSnoozed   = "snoozed"
	KindReopened  = "reopened"
)

// Kinds are the alert change kinds, for rules.
var Kinds = []string{KindRaised, KindEscalated, KindResolved, KindSnoozed, KindReopened}

// Severities in increasing order.
var Severities = []string{"information", "warning", "critical"}

// Categories of alerts.
var Categories = []string{"hardware", "disk", "availability", "performance", "network", "applications", "script-based", "general"}

// AlertEvent is one change of an alert, as the alert lifecycle reports it.
type AlertEvent struct {
	Kind        string    `json:"kind"` // KindRaised ... KindReopened
	AlertID     string    `json:"alert_id"`
	ClientID    string    `json:"client_id"`
	ClientName  string    `json:"client_name"`
	DeviceID    string    `json:"device_id"`
	DeviceName  string    `json:"device_name"`
	Severity    string    `json:"severity"` // information, warning, critical
	Category    string    `json:"category"`
	Check       string    `json:"check"` // "disk C:", "availability", "service Spooler"
	Title       string    `json:"title"`
	Detail      string    `json:"detail,omitempty"`
	ProfileID   string    `json:"profile_id,omitempty"`
	ProfileName string    `json:"profile_name,omitempty"`
	At          time.Time `json:"at"`
	By          string    `json:"by,omitempty"`     // who resolved or snoozed ("" = automatic)
	Reason      string    `json:"reason,omitempty"` // why
	// Reminder marks a re-notification of an alert still open (set by
	// this wing, never by the caller).
	Reminder bool `json:"reminder,omitempty"`
}

// validate checks the fields routing needs and bounds the free text.
func (ev *AlertEvent) validate() error {
	if !slices.Contains(Kinds, ev.Kind) {
		return fmt.Errorf("notify: alert change kind %q", ev.Kind)
	}
	if !slices.Contains(Severities, ev.Severity) {
		return fmt.Errorf("notify: severity %q", ev.Severity)
	}
	if ev.AlertID == "" {
		return fmt.Errorf("notify: alert without an ID")
	}
	if !slices.Contains(Categories, ev.Category) {
		ev.Category = "general"
	}
	for _, f := range []*string{&ev.ClientName, &ev.DeviceName, &ev.Check, &ev.Title, &ev.ProfileName, &ev.By} {
		*f = httpx.CleanText(*f, 200)
	}
	for _, f := range []*string{&ev.Detail, &ev.Reason} {
		*f = httpx.CleanText(*f, 2000)
	}
	ev.Reminder = false
	return nil
}

func severityRank(s string) int { return slices.Index(Severities, s) }

// matches reports whether rule r routes ev.
func matches(r *store.NotifyRule, ev *AlertEvent) bool {
	return !r.Disabled && severityRank(ev.Severity) >= severityRank(r.MinSeverity) &&
		(len(r.Clients) == 0 || slices.Contains(r.Clients, ev.ClientID)) &&
		(len(r.Profiles) == 0 || slices.Contains(r.Profiles, ev.ProfileID)) &&
		(len(r.Kinds) == 0 || slices.Contains(r.Kinds, ev.Kind))
}

// checkKind is the kind of a check without its instance: "disk C:" and
// "disk D:" are both "disk", so a burst over volumes groups.
func checkKind(check string) string {
	k, _, _ := strings.Cut(strings.TrimSpace(check), " ")
	return strings.ToLower(k)
}

// groupKey is what makes alert changes one burst on one channel: the same
// client, category, check kind and change kind.
func groupKey(channelID string, ev *AlertEvent) string {
	kind := ev.Kind
	if ev.Reminder {
		kind += "/reminder"
	}
	return strings.Join([]string{channelID, ev.ClientID, ev.Category, checkKind(ev.Check), kind}, "\x00")
}

// Payload is the JSON body of a webhook, and what an e-mail is written
// from: one alert change, or a burst of alike ones (Alerts lists them,
// Count says how many).
type Payload struct {
	DeliveryID string       `json:"delivery_id"`
	Event      string       `json:"event"` // "alert", or "test" for a channel test
	Kind       string       `json:"kind,omitempty"`
	Reminder   bool         `json:"reminder,omitempty"`
	ClientID   string       `json:"client_id,omitempty"`
	ClientName string       `json:"client_name,omitempty"`
	Category   string       `json:"category,omitempty"`
	Severity   string       `json:"severity,omitempty"` // the highest of the alerts
	Count      int          `json:"count"`
	Alerts     []AlertEvent `json:"alerts"`
	CreatedAt  time.Time    `json:"created_at"`
}

// render fills a delivery's subject, text and body from its items.
func render(d *store.Delivery, items []AlertEvent, test bool) error {
	p := Payload{DeliveryID: d.ID, Event: "alert", Count: len(items), Alerts: items, CreatedAt: d.CreatedAt.UTC()}
	if test {
		p.Event = "test"
	}
	if p.Alerts == nil {
		p.Alerts = []AlertEvent{}
	}
	for _, it := range items {
		p.Kind, p.Reminder, p.ClientID, p.ClientName, p.Category = it.Kind, it.Reminder, it.ClientID, it.ClientName, it.Category
		if severityRank(it.Severity) > severityRank(p.Severity) {
			p.Severity = it.Severity
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("notify: render: %w", err)
	}
	d.Body, d.Count = body, len(items)
	d.Subject, d.Text = mailText(&p)
	return nil
}

// mailText writes the subject and plain text of an e-mail.
func mailText(p *Payload) (subject, text string) {
	var b strings.Builder
	if p.Event == "test" {
		return "[Steward] Test notification", "This is a test notification from Steward.\n\nDelivery " + p.DeliveryID + "\n"
	}
	kind := p.Kind
	if p.Reminder {
		kind = "still open"
	}
	if len(p.Alerts) == 1 {
		a := p.Alerts[0]
		subject = fmt.Sprintf("[Steward] %s %s: %s on %s (%s)", strings.ToUpper(a.Severity), kind, a.Title, a.DeviceName, a.ClientName)
	} else {
		subject = fmt.Sprintf("[Steward] %d %s alerts %s: %s (%s)", len(p.Alerts), p.Category, kind, checkKind(p.Alerts[0].Check),
			p.ClientName)
	}
	fmt.Fprintf(&b, "%d alert(s) %s for client %s.\n\n", len(p.Alerts), kind, p.ClientName)
	for _, a := range p.Alerts {
		fmt.Fprintf(&b, "- %s  %s  %s  %s  [%s]\n", a.At.UTC().Format(time.RFC3339), strings.ToUpper(a.Severity), a.DeviceName, a.Title, a.Check)
		if a.Detail != "" {
			fmt.Fprintf(&b, "    %s\n", a.Detail)
		}
		if a.By != "" || a.Reason != "" {
			fmt.Fprintf(&b, "    by %s: %s\n", a.By, a.Reason)
		}
	}
	fmt.Fprintf(&b, "\nDelivery %s\n", p.DeliveryID)
	return visible(subject, false), visible(b.String(), true)
}

// visible shows control characters (CR and LF too, unless lines is set:
// then line breaks and tabs stay) and bidirectional controls as \xNN and
// \uNNNN escapes: alert text comes from devices, and must neither add a
// mail header nor drive a terminal mail reader or reorder what is read.
func visible(s string, lines bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case lines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, "\\x%02x", r)
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c ||
			r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
