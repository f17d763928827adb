package ctl

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

func TestMessageRowsOnePerUser(t *testing.T) {
	data, _ := json.Marshal(api.MessageResult{Answers: []api.MessageAnswer{
		{User: "jdoe", Session: "1", Answer: "yes"}, {User: "ev\x1b[2Jil", Session: "2", Answer: "failed", Error: "session gone"}}})
	empty, _ := json.Marshal(api.MessageResult{Answers: []api.MessageAnswer{}})
	rows := messageRows([]api.Run{
		{DeviceID: "d_1", State: "succeeded", Data: data},
		{DeviceID: "d_2", State: "succeeded", Data: empty},
		{DeviceID: "d_3", State: "failed", Reason: "agent offline"},
	})
	want := []messageAnswerRow{
		{Device: "d_1", State: "succeeded", User: "jdoe", Session: "1", Answer: "yes"},
		{Device: "d_1", State: "succeeded", User: "ev\x1b[2Jil", Session: "2", Answer: "failed", Error: "session gone"},
		{Device: "d_2", State: "succeeded", Answer: "nobody logged in"},
		{Device: "d_3", State: "failed", Error: "agent offline"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %+v", rows)
	}
	// A hostile user name stays text in the table.
	var b bytes.Buffer
	Table(&b, []string{"USER"}, [][]string{{rows[1].User}})
	if strings.Contains(b.String(), "\x1b") {
		t.Fatalf("escape reached the table: %q", b.String())
	}
}
