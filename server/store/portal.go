package store

import "time"

// PortalAccount is a client's contact's sign-in to the customer portal:
// a customer admin or customer user of that one client. It is not an
// operator account (store.User): it holds no permission, never counts as
// a technician and signs in through the portal's own routes.
type PortalAccount struct {
	ID        string
	ClientID  string
	ContactID string
	// Email is the sign-in name, lower case, unique across the server.
	Email string
	// Admin makes the account a customer admin (else a customer user).
	Admin        bool
	PasswordHash string // bcrypt; "" until the invite is used
	// TOTPSecret is the enrolled second factor ("" = not yet: the first
	// sign-in enrols it); TOTPPending the secret offered while enrolling.
	TOTPSecret   string
	TOTPPending  string
	TOTPLastStep int64
	// InviteHash is the hash of the one-time set-password secret ("" =
	// none outstanding), valid until InviteExpires.
	InviteHash    string
	InviteExpires time.Time
	Disabled      bool
	// Epoch is raised on disable, password change and second-factor
	// reset: sessions of an older epoch end.
	Epoch       int
	CreatedAt   time.Time
	CreatedBy   string
	LastLoginAt time.Time
}

// PortalSession is one signed-in portal browser, by the hash of its
// cookie's secret; or, with AccountID "" and ViewedBy set, a technician's
// read-only "view as the customer" of ClientID.
type PortalSession struct {
	Hash      string
	AccountID string
	ClientID  string
	// ViewedBy and ViewedByName are the technician's user ID and name.
	ViewedBy     string
	ViewedByName string
	CSRF         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Epoch        int
	// SecondFactorAt is when the session passed two-factor; zero = only
	// the password so far (it then opens no portal page).
	SecondFactorAt time.Time
}

// PortalStore holds portal accounts and their sessions.
type PortalStore interface {
	// CreatePortalAccount stores a new account of an existing client
	// (else ErrNotFound); ErrExists when its Email, or its contact,
	// already has one.
	CreatePortalAccount(a PortalAccount) error
	PortalAccount(id string) (PortalAccount, error)
	// PortalAccountByEmail finds an account by its sign-in name (any case).
	PortalAccountByEmail(email string) (PortalAccount, error)
	// PortalAccountByInvite finds the account whose InviteHash is hash.
	PortalAccountByInvite(hash string) (PortalAccount, error)
	// PortalAccounts lists a client's accounts ("" = every client's) by ID.
	PortalAccounts(clientID string) ([]PortalAccount, error)
	// UpdatePortalAccount changes an account in one transaction (ID,
	// ClientID, ContactID and Email stay); fn's error aborts it.
	UpdatePortalAccount(id string, fn func(*PortalAccount) error) (PortalAccount, error)
	// DeletePortalAccount removes an account and its sessions.
	DeletePortalAccount(id string) error

	PutPortalSession(s PortalSession) error
	PortalSession(hash string) (PortalSession, error)
	DeletePortalSession(hash string) error
}
