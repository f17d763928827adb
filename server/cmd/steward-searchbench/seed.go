// The synthetic data the search is measured on, written through the store
// as the server would write it, and the queries that must find it.

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

var (
	syllables = []string{"kor", "vath", "mel", "dan", "ris", "tov", "bel", "gar", "nim", "sol",
		"pra", "lun", "hex", "ord", "wen", "cas", "tri", "fal", "zen", "mor"}
	firsts   = []string{"Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lea", "Max", "Ned", "Ola", "Pia", "Raj", "Sue", "Tom", "Uma"}
	suffixes = []string{"Traders", "Labs", "Partners", "Holdings"}
)

// word is the i-th of 8,000 distinct made-up words.
func word(i int) string {
	n := len(syllables)
	return syllables[i%n] + syllables[(i/n)%n] + syllables[(i/n/n)%n]
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func clientID(i int) string  { return fmt.Sprintf("cbench%04d", i) }
func contactID(i int) string { return fmt.Sprintf("ctbench%07d", i) }
func deviceID(i int) string  { return fmt.Sprintf("dbench%06d", i) }

func clientName(i int) string   { return title(word(i*3+1)) + " " + suffixes[i%len(suffixes)] }
func clientDomain(i int) string { return fmt.Sprintf("customer%04d.example", i) }

// contactName is unique for i below 160,000.
func contactName(i int) (first, last string) {
	return firsts[(i/8000)%len(firsts)], title(word(i % 8000))
}

// contactPhone is a valid US number, unique for i below 800,000.
func contactPhone(i int) (area, exchange, line int) { return 212, 200 + i/10000, i % 10000 }

func contactClient(i, clients int) int { return i % clients }

func mac(i int) [6]byte {
	return [6]byte{0x02, 0x5e, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
}
func ip(i int) string { return fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)) }
func serial(i int) string {
	return fmt.Sprintf("SN%08X", uint32(i)*2654435761)
}
func hostname(i int) string { return fmt.Sprintf("ws-%s-%05d", word(i%8000), i) }

func seed(data string, cfg config) error {
	st, err := boltstore.Open(data)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	for c := range cfg.clients {
		if err := st.CreateClient(store.Client{ID: clientID(c), Name: clientName(c), CreatedAt: now}); err != nil {
			return fmt.Errorf("client: %w", err)
		}
		if err := st.CreateEnrollToken(store.EnrollToken{ID: "etbench" + clientID(c), ClientID: clientID(c),
			Hash: hash("bench-token-" + clientID(c)), CreatedAt: now, ExpiresAt: now.Add(time.Hour), Note: "bench"}); err != nil {
			return fmt.Errorf("token: %w", err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, cfg.clients)
	for c := range cfg.clients {
		wg.Add(1)
		go func() { // concurrent saves share commits
			defer wg.Done()
			p := store.ClientProfile{ClientID: clientID(c), Phone: fmt.Sprintf("(646) %03d-%04d", 300+c/10000, c%10000),
				PhoneE164: fmt.Sprintf("+1646%03d%04d", 300+c/10000, c%10000), Domains: []string{clientDomain(c)},
				Website: "https://www." + word(c*3+1) + ".example", ModifiedAt: now, ModifiedBy: "bench"}
			if err := st.PutClientProfile(p); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	batch := make([]store.Contact, 0, 5000)
	for i := range cfg.contacts {
		first, last := contactName(i)
		a, x, l := contactPhone(i)
		c := contactClient(i, cfg.clients)
		user := fmt.Sprintf("%s.%s.%d", strings.ToLower(first), strings.ToLower(last), i)
		batch = append(batch, store.Contact{ID: contactID(i), ClientID: clientID(c), Name: first + " " + last,
			Email: user + "@" + clientDomain(c), Phone: fmt.Sprintf("(%d) %03d-%04d", a, x, l),
			PhoneE164: fmt.Sprintf("+1%d%03d%04d", a, x, l), SIP: "sip:" + user + "@pbx." + clientDomain(c),
			CreatedAt: now, ModifiedAt: now, ModifiedBy: "bench"})
		if len(batch) == cap(batch) || i == cfg.contacts-1 {
			if err := st.PutContacts(batch); err != nil {
				return fmt.Errorf("contacts: %w", err)
			}
			batch = batch[:0]
		}
	}
	work := make(chan int)
	derr := make(chan error, 256)
	var dwg sync.WaitGroup
	for range 256 {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			for i := range work {
				c := clientID(i % cfg.clients)
				d := store.Device{ID: deviceID(i), Hostname: hostname(i), OS: "windows", Arch: "amd64",
					KeyHash: hash("bench-key-" + deviceID(i)), EnrolledAt: now, AgentVersion: "bench"}
				if _, _, err := st.Enroll(hash("bench-token-"+c), now, d); err != nil {
					derr <- fmt.Errorf("enroll: %w", err)
					return
				}
				m := mac(i)
				inv, err := fleet.InventoryRecord(d.ID, hash("inv-"+d.ID), now, &protocol.Inventory{Hostname: d.Hostname, OS: "windows",
					Platform: "Microsoft Windows 11 Pro", Serial: serial(i), Interfaces: []protocol.Interface{{Name: "Ethernet",
						MAC: fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]), Addresses: []string{ip(i) + "/8"}}}})
				if err == nil {
					err = st.PutInventory(inv)
				}
				if err != nil {
					derr <- err
					return
				}
			}
		}()
	}
	var sendErr error
feed:
	for i := range cfg.devices {
		select {
		case work <- i:
		case sendErr = <-derr:
			break feed
		}
	}
	close(work)
	dwg.Wait()
	if sendErr != nil {
		return sendErr
	}
	select {
	case err := <-derr:
		return err
	default:
	}
	return nil
}

// queries picks cfg.queries records of each kind, spread over the data,
// and the query text of each kind of key that must find them.
func queries(cfg config) []query {
	var qs []query
	pick := func(n, k int) int { return (k*7919 + 13) % n }
	for k := range cfg.queries {
		c := pick(cfg.clients, k)
		qs = append(qs, query{"client name", clientName(c), clientID(c)})
		qs = append(qs, query{"client name word prefix", word(c*3 + 1)[:7], clientID(c)})
		qs = append(qs, query{"client domain", clientDomain(c), clientID(c)})
		qs = append(qs, query{"client ID", clientID(c), clientID(c)})
	}
	for k := range cfg.queries {
		i := pick(cfg.contacts, k)
		first, last := contactName(i)
		a, x, l := contactPhone(i)
		user := fmt.Sprintf("%s.%s.%d", strings.ToLower(first), strings.ToLower(last), i)
		dom := clientDomain(contactClient(i, cfg.clients))
		qs = append(qs, query{"contact name (first last)", first + " " + last, contactID(i)})
		qs = append(qs, query{"contact name prefixes", strings.ToLower(first[:2] + " " + last[:5]), contactID(i)})
		qs = append(qs, query{"contact e-mail", strings.ToUpper(user[:1]) + user[1:] + "@" + dom, contactID(i)})
		qs = append(qs, query{"contact ID", contactID(i), contactID(i)})
		qs = append(qs, query{"phone +1-212-456-7890", fmt.Sprintf("+1-%d-%03d-%04d", a, x, l), contactID(i)})
		qs = append(qs, query{"phone +1 212 456 7890", fmt.Sprintf("+1 %d %03d %04d", a, x, l), contactID(i)})
		qs = append(qs, query{"phone +12124567890", fmt.Sprintf("+1%d%03d%04d", a, x, l), contactID(i)})
		qs = append(qs, query{"phone (212) 456-7890", fmt.Sprintf("(%d) %03d-%04d", a, x, l), contactID(i)})
		qs = append(qs, query{"SIP address", "sip:" + user + "@pbx." + dom, contactID(i)})
	}
	for k := range cfg.queries {
		i := pick(cfg.devices, k)
		m := mac(i)
		qs = append(qs, query{"MAC aa:bb:cc:dd:ee:ff", fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]), deviceID(i)})
		qs = append(qs, query{"MAC AA-BB-CC-DD-EE-FF", fmt.Sprintf("%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]), deviceID(i)})
		qs = append(qs, query{"MAC aabbccddeeff", fmt.Sprintf("%02x%02x%02x%02x%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]), deviceID(i)})
		qs = append(qs, query{"device IP", ip(i), deviceID(i)})
		qs = append(qs, query{"device serial", strings.ToLower(serial(i)), deviceID(i)})
		qs = append(qs, query{"device name", hostname(i), deviceID(i)})
		qs = append(qs, query{"device ID", deviceID(i), deviceID(i)})
	}
	return qs
}
