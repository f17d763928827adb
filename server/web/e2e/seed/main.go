// Command seed fills a fresh Steward data directory with many synthetic
// devices, clients with their profiles, and contacts, written straight
// through the store package, so the dashboard can be measured against a
// large fleet without running thousands of agents.
//
//	seed --data DIR/server --devices 20000 --clients 2000 --contacts 100000
//
// Contacts: a tenth of them (at most 10,000) go to the first client, the
// "big" one, and the rest are spread over the others.
//
// Run it before the server starts on DIR (the store allows one process).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

type config struct {
	data     string
	devices  int
	clients  int
	contacts int
	workers  int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.data, "data", "", "server data directory (the server's --data)")
	flag.IntVar(&cfg.devices, "devices", 20000, "devices to create")
	flag.IntVar(&cfg.clients, "clients", 40, "clients to spread them over")
	flag.IntVar(&cfg.contacts, "contacts", 0, "contacts to create (see the command's doc)")
	flag.IntVar(&cfg.workers, "workers", 512, "concurrent writers (bbolt batches them into few commits)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// device describes synthetic device i: a spread of operating systems,
// types, reboot and patch states, groups and last-seen times.
func device(i int, clientID string, now time.Time) (store.Device, store.Inventory, store.Health) {
	id := fmt.Sprintf("dseed%06d", i)
	kinds := []struct{ os, platform, ver, prefix string }{
		{"windows", "Microsoft Windows 11 Pro", "10.0.22631", "PC"},
		{"windows", "Microsoft Windows Server 2022 Standard", "10.0.20348", "SRV"},
		{"linux", "ubuntu", "24.04", "lnx"},
		{"linux", "debian", "12.7", "deb"},
		{"darwin", "darwin", "14.6.1", "MAC"},
	}
	k := kinds[i%len(kinds)]
	host := fmt.Sprintf("%s-%05d", k.prefix, i)
	seen := now.Add(-time.Duration(i%5000) * time.Minute)
	hb := protocol.Heartbeat{PendingReboot: i%7 == 0, PatchCount: (i * 13) % 9, UptimeSeconds: uint64(3600 + i)}
	if hb.PatchCount > 0 && i%3 == 0 {
		hb.SecurityPatches = 1 + i%hb.PatchCount
	}
	d := store.Device{ID: id, Hostname: host, OS: k.os, Arch: "amd64", KeyHash: hash("seed-key-" + id),
		EnrolledAt: now.Add(-30 * 24 * time.Hour), AgentVersion: "seed", LastSeen: seen, OfflineSince: seen,
		Heartbeat: store.Heartbeat(hb), Group: fmt.Sprintf("Site %d", i%12)}
	mac := fmt.Sprintf("02:5e:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
	inv, _ := fleet.InventoryRecord(id, hash("inv-"+id), seen, &protocol.Inventory{
		Hostname: host, OS: k.os, Platform: k.platform, OSVersion: k.ver, Arch: "amd64", CPUModel: "Seeded CPU",
		CPUCores: 4, CPUThreads: 8, MemoryTotal: 16 << 30, Server: k.prefix == "SRV",
		Interfaces: []protocol.Interface{{Name: "eth0", MAC: mac,
			Addresses: []string{fmt.Sprintf("10.%d.%d.%d/16", byte(i>>16), byte(i>>8), byte(i))}}}})
	h, _ := fleet.HealthRecord(id, hash("health-"+id), seen, &protocol.Health{
		LastUser: fmt.Sprintf("user%03d", i%400), LastUserAt: seen.Add(-2 * time.Hour)})
	return d, inv, h
}

func run(ctx context.Context, cfg config) error {
	if cfg.data == "" || cfg.devices < 0 || cfg.clients < 1 || cfg.workers < 1 {
		return fmt.Errorf("need --data, --devices >= 0, --clients >= 1, --workers >= 1")
	}
	st, err := boltstore.Open(cfg.data)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	start := time.Now()
	clients := make([]string, cfg.clients)
	for c := range clients {
		clients[c] = fmt.Sprintf("cseed%03d", c)
		if err := st.CreateClient(store.Client{ID: clients[c], Name: fmt.Sprintf("Customer %03d", c), CreatedAt: now}); err != nil {
			return fmt.Errorf("client: %w", err)
		}
		// Devices are created the way enrollment creates them: by consuming
		// a token of their client.
		if err := st.CreateEnrollToken(store.EnrollToken{ID: "etseed" + clients[c], ClientID: clients[c], Hash: hash("seed-token-" + clients[c]),
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), Note: "seed"}); err != nil {
			return fmt.Errorf("token: %w", err)
		}
	}
	devs := make([]store.Device, cfg.devices)
	work := make(chan int)
	errc := make(chan error, cfg.workers)
	var wg sync.WaitGroup
	for w := 0; w < cfg.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := clients[i%len(clients)]
				d, inv, h := device(i, c, now)
				if _, _, err := st.Enroll(hash("seed-token-"+c), now, d); err != nil {
					errc <- fmt.Errorf("enroll %s: %w", d.ID, err)
					return
				}
				d.ClientID = c
				devs[i] = d
				if err := st.PutInventory(inv); err != nil {
					errc <- err
					return
				}
				if err := st.PutHealth(h); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var sendErr error
send:
	for i := 0; i < cfg.devices; i++ {
		select {
		case work <- i:
		case sendErr = <-errc:
			break send
		case <-ctx.Done():
			sendErr = ctx.Err()
			break send
		}
	}
	close(work)
	wg.Wait()
	if sendErr != nil {
		return sendErr
	}
	select {
	case err := <-errc:
		return err
	default:
	}
	// Enrollment stores the bare device; the figures the list shows
	// (heartbeat, last seen, group) go in with one bulk write.
	if err := st.PutDevices(devs); err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	if err := seedClientPages(st, clients, cfg.contacts, now); err != nil {
		return err
	}
	fmt.Printf("seeded %d devices and %d contacts in %d clients in %.1f s\n", cfg.devices, cfg.contacts, cfg.clients,
		time.Since(start).Seconds())
	return nil
}

// seedClientPages gives every client a profile and spreads the contacts:
// a tenth (at most 10,000) to the first client, the rest round-robin.
func seedClientPages(st *boltstore.DB, clients []string, contacts int, now time.Time) error {
	var ps []store.ClientProfile
	for i, c := range clients {
		p := store.ClientProfile{ClientID: c, Phone: fmt.Sprintf("020 7946 %04d", i%10000),
			PhoneE164: fmt.Sprintf("+44207946%04d", i%10000), Address: fmt.Sprintf("%d High Street\nLondon", i+1),
			Postcode: "SW1A 1AA", Domains: []string{fmt.Sprintf("customer%04d.example", i)}, Website: fmt.Sprintf("https://customer%04d.example", i),
			CompanyNumber: fmt.Sprintf("%08d", 1000000+i), Ranking: 1 + i%5, ModifiedAt: now, ModifiedBy: "seed"}
		ps = append(ps, p)
	}
	// Concurrent saves share commits.
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.PutClientProfile(p); err != nil {
				errs <- fmt.Errorf("profile: %w", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	big := min(contacts/10, 10000)
	first := []string{"Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lea"}
	last := []string{"Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright"}
	batch := make([]store.Contact, 0, 5000)
	for i := 0; i < contacts; i++ {
		c := clients[0]
		if i >= big && len(clients) > 1 {
			c = clients[1+(i-big)%(len(clients)-1)]
		}
		batch = append(batch, store.Contact{ID: fmt.Sprintf("ctseed%07d", i), ClientID: c,
			Name:     fmt.Sprintf("%s %s %d", first[i%len(first)], last[(i/len(first))%len(last)], i),
			JobTitle: "Office manager", Email: fmt.Sprintf("person%07d@%s.example", i, c), Phone: fmt.Sprintf("020 7946 %04d", i%10000),
			PhoneE164: fmt.Sprintf("+44207946%04d", i%10000), CreatedAt: now, ModifiedAt: now, ModifiedBy: "seed"})
		if len(batch) == cap(batch) || i == contacts-1 {
			if err := st.PutContacts(batch); err != nil {
				return fmt.Errorf("contacts: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}
