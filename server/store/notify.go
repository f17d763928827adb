package store

import "time"

// Notification channel types.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// Delivery states: pending until the receiver took it (sent) or the
// retries ran out (dead).
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryDead    = "dead"
	// DeliveryMerged is a delivery of a burst whose alerts went out in
	// another delivery of the same burst (MergedInto).
	DeliveryMerged = "merged"
)

// NotifyChannel is where notifications go: a webhook URL signed with
// Secret, or e-mail addresses.
type NotifyChannel struct {
	ID        string
	Name      string
	Type      string // ChannelWebhook, ChannelEmail
	URL       string
	Secret    string // HMAC key of a webhook; never leaves the server but once
	To        []string
	Disabled  bool
	CreatedAt time.Time
	CreatedBy string
}

// NotifyRule routes alert changes to channels: those of at least
// MinSeverity, of one of Clients (empty = any), of one of Profiles
// (empty = any) and of one of Kinds (empty = any). RenotifyMinutes > 0
// repeats the notification while the alert stays open.
type NotifyRule struct {
	ID              string
	Name            string
	MinSeverity     string
	Clients         []string
	Profiles        []string
	Kinds           []string
	Channels        []string
	RenotifyMinutes int
	Disabled        bool
	CreatedAt       time.Time
	CreatedBy       string
}

// Delivery is one message to one channel in the durable outbox. It is
// stored before any attempt; its ID is what the receiver de-duplicates on.
// A delivery with a GroupKey still collects alerts of the same burst until
// NextAttempt, when its first attempt is due.
type Delivery struct {
	ID          string
	ChannelID   string
	ChannelType string
	RuleID      string
	ClientID    string
	GroupKey    string
	Status      string
	Subject     string
	Text        string // the e-mail body
	Body        []byte // the webhook's JSON body
	Items       []byte // the alert changes it carries, as the wing encodes them
	Count       int    // how many alert changes it carries
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	NextAttempt time.Time
	SentAt      time.Time
	MergedInto  string
	// To are the addresses of a direct e-mail (ChannelID ""): a message
	// meant for named users rather than a channel's recipients.
	To []string
}

// DeliveryQuery selects deliveries, newest first: those created before the
// one with ID Before ("" = from the newest), of Status and ChannelID
// ("" = any), at most Limit (0 = all). Due, when set, selects instead the
// pending deliveries whose NextAttempt is not after it, oldest due first.
type DeliveryQuery struct {
	Before    string
	Status    string
	ChannelID string
	Due       time.Time
	Limit     int
}

// Match reports whether q selects d (Before, Due order and Limit aside).
func (q *DeliveryQuery) Match(d *Delivery) bool {
	if !q.Due.IsZero() && (d.Status != DeliveryPending || d.NextAttempt.After(q.Due)) {
		return false
	}
	return (q.Status == "" || d.Status == q.Status) && (q.ChannelID == "" || d.ChannelID == q.ChannelID)
}

// NotifyAlert is what the notifications keep of an alert they were told
// is open: the last change (as the wing encodes it), whether it is paused
// (snoozed), and when each rule last notified of it (for re-notification).
type NotifyAlert struct {
	AlertID  string
	ClientID string
	Paused   bool
	Event    []byte
	Notified map[string]time.Time // rule ID -> last notification
}

// NotifyStore holds notification channels, routing rules, the outbox of
// deliveries and the open alerts notifications track.
type NotifyStore interface {
	// PutNotifyChannel creates or replaces a channel.
	PutNotifyChannel(c NotifyChannel) error
	NotifyChannel(id string) (NotifyChannel, error)
	// NotifyChannels lists them in ID order.
	NotifyChannels() ([]NotifyChannel, error)
	// DeleteNotifyChannel removes a channel (ErrNotFound if unknown); its
	// deliveries stay.
	DeleteNotifyChannel(id string) error
	// PutNotifyRule creates or replaces a rule.
	PutNotifyRule(r NotifyRule) error
	NotifyRule(id string) (NotifyRule, error)
	// NotifyRules lists them in ID order.
	NotifyRules() ([]NotifyRule, error)
	DeleteNotifyRule(id string) error
	// PutDeliveries creates or replaces deliveries, all in one commit.
	PutDeliveries(ds []Delivery) error
	Delivery(id string) (Delivery, error)
	Deliveries(q DeliveryQuery) ([]Delivery, error)
	// NextDue is the earliest NextAttempt of a pending delivery after
	// after; ok is false when there is none.
	NextDue(after time.Time) (next time.Time, ok bool, err error)
	// PendingDeliveries counts the pending deliveries.
	PendingDeliveries() (int, error)
	// PruneDeliveries deletes deliveries that are no longer pending and
	// were created before before, and returns how many.
	PruneDeliveries(before time.Time) (int, error)
	// CommitNotify stores what alert changes caused, in one commit:
	// deliveries created or replaced, tracked alerts created or replaced,
	// and tracked alerts forgotten (resolved; unknown IDs are no error).
	CommitNotify(ds []Delivery, alerts []NotifyAlert, forget []string) error
	// NotifyAlerts lists the tracked alerts in ID order.
	NotifyAlerts() ([]NotifyAlert, error)
}
