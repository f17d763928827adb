package server

import (
	"fmt"
	"os"
	"path/filepath"

	boltstore "github.com/steward-rmm/steward/server/store/bolt"
	"github.com/steward-rmm/steward/server/vault"
)

// vaultKey loads the password vault's master key: from --vault-key-file,
// else from the STEWARD_VAULT_KEY value main put in cfg.VaultKey. No key
// leaves the vault off (why is returned); a key file that is unsafe
// (group or world access, inside the data folder) or unreadable stops
// the server, since the operator asked for it.
func vaultKey(cfg *Config) (*vault.MasterKey, string, error) {
	switch {
	case cfg.VaultKeyFile != "":
		k, err := vault.LoadKeyFile(cfg.VaultKeyFile, cfg.DataDir)
		if err != nil {
			return nil, "", err
		}
		return k, "", nil
	case cfg.VaultKey != "":
		k, err := vault.ParseKey(cfg.VaultKey)
		if err != nil {
			return nil, "", fmt.Errorf("STEWARD_VAULT_KEY: %w", err)
		}
		return k, "", nil
	}
	return nil, "no master key: start the server with --vault-key-file FILE (mode 0600, outside the data folder) or STEWARD_VAULT_KEY", nil
}

// GenerateVaultKey writes a new vault master key file (mode 0600) at
// path, which must not exist and must lie outside dataDir.
func GenerateVaultKey(path, dataDir string) (id string, err error) {
	k, err := vault.GenerateKeyFile(path, dataDir)
	if err != nil {
		return "", err
	}
	return k.ID, nil
}

// RotateVaultKey re-wraps the vault's data keys of the (stopped) server
// whose data is in dataDir from the master key in file oldFile to the one
// in newFile; entries are not re-encrypted. It returns the number of
// keys re-wrapped and the new key's ID.
func RotateVaultKey(dataDir, oldFile, newFile string) (int, string, error) {
	old, err := vault.LoadKeyFile(oldFile, dataDir)
	if err != nil {
		return 0, "", err
	}
	next, err := vault.LoadKeyFile(newFile, dataDir)
	if err != nil {
		return 0, "", err
	}
	if old.ID == next.ID {
		return 0, "", fmt.Errorf("the old and new key files hold the same key")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "steward.db")); err != nil {
		return 0, "", fmt.Errorf("no database in %s: %w", dataDir, err)
	}
	st, err := boltstore.Open(dataDir)
	if err != nil {
		return 0, "", fmt.Errorf("%w (is the server still running? stop it first)", err)
	}
	defer st.Close()
	n, err := vault.Rotate(st, old, next)
	return n, next.ID, err
}
