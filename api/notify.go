package api

import "time"

// NotifyChannel is a notification channel: a signed webhook or e-mail
// addresses. Secret is shown once, in the answer that created or rotated
// it; HasSecret says one is set.
type NotifyChannel struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"` // webhook, email
	URL       string    `json:"url,omitempty"`
	To        []string  `json:"to,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	HasSecret bool      `json:"has_secret,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// NotifyChannelRequest creates (POST) or changes (PUT) a channel. On
// create, an empty Secret of a webhook makes a random one; on change, an
// empty Secret keeps it and RotateSecret makes a new random one.
type NotifyChannelRequest struct {
	Name         string   `json:"name"`
	Type         string   `json:"type,omitempty"`
	URL          string   `json:"url,omitempty"`
	To           []string `json:"to,omitempty"`
	Secret       string   `json:"secret,omitempty"`
	RotateSecret bool     `json:"rotate_secret,omitempty"`
	Disabled     bool     `json:"disabled,omitempty"`
}

// NotifyRule routes alert changes to channels: of at least MinSeverity,
// of the listed clients, profiles and change kinds (empty = any).
// RenotifyMinutes > 0 repeats while the alert stays open.
type NotifyRule struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	MinSeverity     string    `json:"min_severity"`
	Clients         []string  `json:"clients,omitempty"`
	Profiles        []string  `json:"profiles,omitempty"`
	Kinds           []string  `json:"kinds,omitempty"`
	Channels        []string  `json:"channels"`
	RenotifyMinutes int       `json:"renotify_minutes,omitempty"`
	Disabled        bool      `json:"disabled,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	CreatedBy       string    `json:"created_by,omitempty"`
}

// NotifyRuleRequest creates (POST) or replaces (PUT) a rule. Clients and
// channels may be given by ID or name.
type NotifyRuleRequest struct {
	Name            string   `json:"name"`
	MinSeverity     string   `json:"min_severity"`
	Clients         []string `json:"clients,omitempty"`
	Profiles        []string `json:"profiles,omitempty"`
	Kinds           []string `json:"kinds,omitempty"`
	Channels        []string `json:"channels"`
	RenotifyMinutes int      `json:"renotify_minutes,omitempty"`
	Disabled        bool     `json:"disabled,omitempty"`
}

// Delivery is one message in the notification outbox. Its ID is the
// X-Steward-Delivery header (and the e-mail's), stable across attempts.
type Delivery struct {
	ID          string    `json:"id"`
	ChannelID   string    `json:"channel_id"`
	ChannelName string    `json:"channel_name,omitempty"`
	ChannelType string    `json:"channel_type"`
	RuleID      string    `json:"rule_id,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	Status      string    `json:"status"` // pending, sent, dead, merged
	Subject     string    `json:"subject"`
	Count       int       `json:"count"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	MergedInto  string    `json:"merged_into,omitempty"`
}

// NotifyDeleted answers the deletion of a channel or rule.
type NotifyDeleted struct {
	Deleted string `json:"deleted"`
	Name    string `json:"name"`
}
