package fleet

import (
	"fmt"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/store"
)

// benchFleet is an in-memory fleet of n devices, every tenth retired.
func benchFleet(n int) *Fleet {
	f := &Fleet{devs: map[string]*entry{}, dirty: map[string]struct{}{}, seen: map[string]struct{}{}, clients: map[string]string{},
		bus: events.New()}
	for i := 0; i < n; i++ {
		d := store.Device{ID: fmt.Sprintf("d%06d", i), ClientID: fmt.Sprintf("c%02d", i%40), Hostname: fmt.Sprintf("PC-%05d", i),
			OS: "windows", Retired: i%10 == 0}
		f.devs[d.ID] = &entry{d: d, name: strings.ToLower(d.Hostname)}
	}
	return f
}

// BenchmarkList20000 is one page of the device list over 20,000 devices:
// the default (retired hidden), the favourites filter and the monitored
// filter with a monitoring callback.
func BenchmarkList20000(b *testing.B) {
	f := benchFleet(20000)
	favs := map[string]bool{}
	for i := 0; i < 20000; i += 97 {
		favs[fmt.Sprintf("d%06d", i)] = true
	}
	yes := true
	for name, flt := range map[string]Filter{
		"default":   {Limit: 100},
		"favorites": {Limit: 100, Favorites: favs},
		"monitored": {Limit: 100, Monitored: &yes, IsMonitored: func(id string) bool { return id[len(id)-1] != '7' }},
		"type":      {Limit: 100, DeviceType: "workstation"},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if vs, _ := f.List(flt); len(vs) == 0 {
					b.Fatal("no devices")
				}
			}
		})
	}
}
