package automation

import (
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// anchorTasks gives each "every" task without a Start its anchor: the
// one it had (same ID, kind and interval), so editing a profile keeps
// its tasks' phase, or else now, the time it was saved. Start arrives
// as given otherwise; it is stored in UTC to the second.
func anchorTasks(tasks, old []store.AutoTask, now time.Time) {
	for i := range tasks {
		s := &tasks[i].Schedule
		if s.Kind != SchedEvery {
			continue
		}
		if !s.Start.IsZero() {
			s.Start = s.Start.UTC().Truncate(time.Second)
			continue
		}
		s.Start = now.UTC().Truncate(time.Second)
		for j := range old {
			if o := old[j].Schedule; old[j].ID == tasks[i].ID && o.Kind == SchedEvery && o.Every == s.Every {
				s.Start = o.Start // zero for a task saved before anchors: it stays on the epoch
				break
			}
		}
	}
}
