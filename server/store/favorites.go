package store

// FavoriteStore holds each user's favourite devices (a star on the
// device list). A favourite is a pair of IDs; the store checks neither,
// and a favourite of a device that is gone is simply never shown.
type FavoriteStore interface {
	// SetFavorite stars (on) or unstars a device for a user; doing what
	// is already done is no error.
	SetFavorite(userID, deviceID string, on bool) error
	// Favorites lists a user's starred device IDs in ID order.
	Favorites(userID string) ([]string, error)
}
