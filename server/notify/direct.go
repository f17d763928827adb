package notify

import (
	"fmt"
	"strings"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// DirectMail is an e-mail to named addresses rather than to a channel's
// recipients: what another wing sends to the users it concerns (the SLA
// sweep to a ticket's technician). It goes through the same outbox, so
// it is stored before Direct returns, delivered at least once and
// retried like any delivery.
type DirectMail struct {
	ClientID string
	To       []string
	Subject  string
	Text     string
}

// Direct stores m in the outbox, due now, and returns its delivery ID.
// Subject and text are shown as text: control characters become visible
// escapes, so nothing in them adds a mail header.
func (w *Wing) Direct(m DirectMail) (string, error) {
	var to []string
	for _, a := range m.To {
		if a = strings.TrimSpace(a); a != "" && !strings.ContainsAny(a, "\r\n,;") {
			to = append(to, a)
		}
	}
	if len(to) == 0 {
		return "", fmt.Errorf("notify: a direct e-mail without recipients")
	}
	now := w.d.Now()
	d := store.Delivery{ID: httpx.NewID("dl"), ChannelType: store.ChannelEmail, ClientID: m.ClientID,
		Status: store.DeliveryPending, Subject: visible(httpx.CleanText(m.Subject, 300), false),
		Text: visible(m.Text, true), Items: []byte("[]"), Count: 1, CreatedAt: now, NextAttempt: now, To: to}
	if err := w.d.Store.PutDeliveries([]store.Delivery{d}); err != nil {
		return "", fmt.Errorf("notify: store a direct e-mail: %w", err)
	}
	w.poke()
	return d.ID, nil
}
