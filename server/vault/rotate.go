package vault

import (
	"fmt"

	"github.com/steward-rmm/steward/server/store"
)

// KeyStore is what a master-key rotation needs of the store.
type KeyStore interface {
	VaultKeys() ([]store.VaultKey, error)
	ReplaceVaultKeys(ks []store.VaultKey) error
}

// Rotate re-wraps every client's data key from master key old to master
// key next, in one commit; entries are not touched (they are sealed under
// the data keys, which do not change). It refuses, changing nothing, when
// a data key is not wrapped by old. It returns how many keys it re-wrapped.
func Rotate(st KeyStore, old, next *MasterKey) (int, error) {
	ks, err := st.VaultKeys()
	if err != nil {
		return 0, fmt.Errorf("vault keys: %w", err)
	}
	out := make([]store.VaultKey, 0, len(ks))
	for _, k := range ks {
		if k.MasterID == next.ID {
			continue // already rotated (an interrupted earlier run cannot leave this: the commit is whole)
		}
		if k.MasterID != old.ID {
			return 0, fmt.Errorf("client %s's data key is wrapped by master key %s, not by the old key given (%s)", k.ClientID, k.MasterID, old.ID)
		}
		dk, err := old.unwrap(k.ClientID, k.Wrapped)
		if err != nil {
			return 0, err
		}
		w, err := next.wrap(k.ClientID, dk)
		clear(dk)
		if err != nil {
			return 0, err
		}
		k.MasterID, k.Wrapped = next.ID, w
		out = append(out, k)
	}
	if err := st.ReplaceVaultKeys(out); err != nil {
		return 0, fmt.Errorf("storing re-wrapped keys: %w", err)
	}
	return len(out), nil
}
