package boltstore

import (
	"fmt"
	"strconv"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the on-disk format this code writes, kept in the meta
// bucket under "schema". Every change of the format is one more entry in
// migrations, with its own test against a database of the format before.
const SchemaVersion = 17

// metaSchema is the meta key of the format version.
const metaSchema = "schema"

// migration turns a database of format to-1 into format to.
type migration struct {
	to    int
	about string
	apply func(tx *bolt.Tx) error
}

// migrations[i] goes from version i to i+1. They run at open, all in the
// one transaction that also records the new version, so an open that
// fails leaves the database as it was.
var migrations = []migration{
	{1, "the format of the first release: its buckets", migrate1},
	{2, "the pre-ownership script library converted and its bucket removed; buckets later schema-1 servers added", migrate2},
	{3, "the buckets of favourite devices and the retired-device index", migrate3},
	{4, "notification channels, rules, the delivery outbox and tracked alerts", migrateNotify},
	{5, "the client page: profiles, custom fields, pinned fields, contacts", migrateClientPage},
	{6, "monitoring: profiles, assignments, exemptions, maintenance windows, alerts and their history", migrateMonitor},
	{7, "the password vault, attachments and assets buckets", migrateVault},
	{8, "the customer portal: accounts, their e-mail index and sessions", migratePortal},
	{9, "automation: profiles, assignments, exemptions, schedule states and the scheduler's log", migrateAutomation},
	{10, "the service desk: tickets, their index and timelines, SLAs and calendars", migrateTickets},
	{11, "contracts, entitlements and consumption", migrateContracts},
	{12, "invoices, their numbers, the billed time entries and the invoice settings", migrateInvoices},
	{13, "the help desk's search index (built from the stored clients and contacts) and caller codes", migrateHelpdesk},
	{14, "consent: requests, grants and the per-client require-consent settings", migrateConsent},
	{15, "the SLA sweep's index of tickets by next check, and breached and at-risk tickets by due time", migrateTicketSLAIndex},
	{16, "the automation log's device index, built from the log", migrateAutoRunsIndex},
	{17, "the invoice list index and the audit log's client index, both built from the stored records", migrateListIndexes},
}

// schema1Buckets are the buckets of format 1 as the server of December
// 2026 wrote them (testdata/today-v1.db.gz).
var schema1Buckets = [][]byte{bMeta, bClients, bTokens, bDevices, bKeys, bInventory, bHealth, bJobs, bRuns,
	bJobRuns, bPending, bDevRuns, bWideJobs, bWideRuns, bOutput, bScripts1, bUsers, bUserNames, bAPITokens, bAudit,
	bSessions, bShells, bReleases, bMachines, bScriptHeads, bScriptVersions}

// bScripts1 is the script library before scripts had owners and versions:
// keyed by name, the newest version only. Format 2 has no such bucket.
var bScripts1 = []byte("scripts")

func migrate1(tx *bolt.Tx) error {
	for _, b := range schema1Buckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// migrate2 converts scripts stored before ownership into the versioned
// layout as global scripts (format-1 servers did that at every open) and
// removes their bucket. Format-1 servers also added buckets without a
// version change, so an old format-1 file may lack some: they are made.
func migrate2(tx *bolt.Tx) error {
	if err := migrate1(tx); err != nil {
		return err
	}
	old := tx.Bucket(bScripts1)
	err := old.ForEach(func(k, v []byte) error {
		var sc store.Script
		if err := decode(v, &sc); err != nil {
			return fmt.Errorf("convert script %q: %w", k, err)
		}
		sc.ID, sc.ClientID, sc.SHA256 = newScriptID(), "", store.ScriptHash(sc.Body)
		if sc.Name == "" {
			sc.Name = string(k)
		}
		if sc.Version < 1 {
			sc.Version = 1
		}
		return putScriptVersion(tx, sc)
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bScripts1)
}

// migrate brings the database to SchemaVersion, refusing one written by a
// newer server.
func migrate(tx *bolt.Tx) error {
	m, err := tx.CreateBucketIfNotExists(bMeta)
	if err != nil {
		return err
	}
	v := 0
	if raw := m.Get([]byte(metaSchema)); raw != nil {
		if v, err = strconv.Atoi(string(raw)); err != nil || v < 1 {
			return fmt.Errorf("schema version %q unreadable", raw)
		}
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d, this server reads up to %d: %w", v, SchemaVersion, store.ErrNewerSchema)
	}
	for ; v < SchemaVersion; v++ {
		mg := migrations[v]
		if err := mg.apply(tx); err != nil {
			return fmt.Errorf("migration to schema %d (%s): %w", mg.to, mg.about, err)
		}
	}
	return m.Put([]byte(metaSchema), []byte(strconv.Itoa(SchemaVersion)))
}

// migrateVault creates the buckets of the password vault, attachments
// and assets (vault.go, attachments.go, assets.go).
func migrateVault(tx *bolt.Tx) error {
	for _, b := range [][]byte{bVaultEntries, bVaultKeys, bVaultSettings, bAttachments, bAttachmentRefs,
		bAssets, bAssetSerials, bAssetMeta} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}
