package eventlog

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// The Windows Event Log's pure parts: the structured XML query (XPath per
// channel) built from a query's fields, the XML of a rendered event parsed
// to a record, and the cursor of pages read from new to old.

// DefaultChannel is read when a query names none.
const DefaultChannel = "System"

// winNameRe is what a channel or provider name may hold: the names
// Windows uses ("Microsoft-Windows-Sysmon/Operational", "Service Control
// Manager"), never a quote or bracket that would leave the XPath literal.
var winNameRe = regexp.MustCompile(`^[A-Za-z0-9 ._/%-]{1,256}$`)

func checkWindows(q *protocol.EventLogQuery) error {
	if err := refuse("the Windows event log", q, "units", "processes", "subsystems", "category", "text"); err != nil {
		return err
	}
	for _, c := range q.Channels {
		if !winNameRe.MatchString(c) {
			return errf(protocol.CallBadRequest, "invalid channel name %q", c)
		}
	}
	for _, p := range q.Providers {
		if !winNameRe.MatchString(p) {
			return errf(protocol.CallBadRequest, "invalid provider name %q", p)
		}
	}
	for _, id := range q.EventIDs {
		if id < 0 || id > 65535 {
			return errf(protocol.CallBadRequest, "event IDs run from 0 to 65535, not %d", id)
		}
	}
	if _, err := decodeWinCursor(q.Cursor); err != nil {
		return err
	}
	return nil
}

// winLevels are the Windows level numbers of a level (LogAlways, 0, shows
// as information).
func winLevels(l string) []int {
	switch l {
	case protocol.LevelCritical:
		return []int{1}
	case protocol.LevelError:
		return []int{2}
	case protocol.LevelWarning:
		return []int{3}
	case protocol.LevelInfo:
		return []int{0, 4}
	case protocol.LevelDebug:
		return []int{5}
	}
	return nil
}

// winTime is the XPath form of a time (UTC, milliseconds).
func winTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func or(terms []string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " or ") + ")"
}

// XPath is the event filter of a query (the same for every channel):
// "*" or "*[System[...]]". until, when not zero, replaces q.Until (a
// cursor's bound); since likewise.
func XPath(q protocol.EventLogQuery, since, until time.Time) string {
	var conds []string
	if len(q.Levels) > 0 {
		var t []string
		for _, l := range q.Levels {
			for _, n := range winLevels(l) {
				t = append(t, "Level="+strconv.Itoa(n))
			}
		}
		conds = append(conds, or(t))
	}
	if len(q.Providers) > 0 {
		var t []string
		for _, p := range q.Providers {
			t = append(t, "@Name='"+p+"'")
		}
		conds = append(conds, "Provider["+strings.Join(t, " or ")+"]")
	}
	if len(q.EventIDs) > 0 {
		var t []string
		for _, id := range q.EventIDs {
			t = append(t, "EventID="+strconv.Itoa(id))
		}
		conds = append(conds, or(t))
	}
	var tc []string
	if !since.IsZero() {
		tc = append(tc, "@SystemTime>='"+winTime(since)+"'")
	}
	if !until.IsZero() {
		// Event times have 100 ns, the query milliseconds: round the bound
		// up, so a cursor's own instant is read again (and skipped by key).
		if r := until.Truncate(time.Millisecond); !r.Equal(until) {
			until = r.Add(time.Millisecond)
		}
		tc = append(tc, "@SystemTime<='"+winTime(until)+"'")
	}
	if len(tc) > 0 {
		conds = append(conds, "TimeCreated["+strings.Join(tc, " and ")+"]")
	}
	if len(conds) == 0 {
		return "*"
	}
	return "*[System[" + strings.Join(conds, " and ") + "]]"
}

// QueryXML is the structured query EvtQuery takes: one Select per
// channel, all with the same filter, XML-escaped.
func QueryXML(q protocol.EventLogQuery, since, until time.Time) string {
	chans := q.Channels
	if len(chans) == 0 {
		chans = []string{DefaultChannel}
	}
	var b strings.Builder
	b.WriteString(`<QueryList><Query Id="0">`)
	filter := xmlEscape(XPath(q, since, until))
	for _, c := range chans {
		fmt.Fprintf(&b, `<Select Path="%s">%s</Select>`, xmlEscape(c), filter)
	}
	b.WriteString(`</Query></QueryList>`)
	return b.String()
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// winCursor continues a page read from new to old: the next page holds
// the records at or before T, less those already shown at T (Seen:
// "channel:record id").
type winCursor struct {
	T    time.Time `json:"t"`
	Seen []string  `json:"seen,omitempty"`
}

func encodeWinCursor(c winCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeWinCursor(s string) (winCursor, error) {
	var c winCursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.T.IsZero() || len(c.Seen) > 10_000 {
		return winCursor{}, errf(protocol.CallBadRequest, "invalid cursor")
	}
	return c, nil
}

// winPager tracks a page read from new to old and makes its cursor.
type winPager struct {
	skip map[string]bool
	last time.Time
	at   []string // keys of the records shown at last
}

func newWinPager(c winCursor) *winPager {
	p := &winPager{skip: map[string]bool{}}
	for _, k := range c.Seen {
		p.skip[k] = true
	}
	if !c.T.IsZero() {
		p.last, p.at = c.T, slices.Clone(c.Seen)
	}
	return p
}

func winKey(r protocol.EventRecord) string { return r.Channel + ":" + r.RecordID }

// take says whether a record read is new to the pages and notes it.
func (p *winPager) take(r protocol.EventRecord) bool {
	k := winKey(r)
	if p.skip[k] {
		return false
	}
	if r.Time.Equal(p.last) {
		p.at = append(p.at, k)
	} else {
		p.last, p.at = r.Time, []string{k}
	}
	return true
}

func (p *winPager) cursor() string { return encodeWinCursor(winCursor{T: p.last, Seen: p.at}) }

// eventXML is the part of an event's XML the record needs: System,
// EventData or UserData, and RenderingInfo when the event was formatted
// with its publisher's messages.
type eventXML struct {
	System struct {
		Provider struct {
			Name            string `xml:"Name,attr"`
			EventSourceName string `xml:"EventSourceName,attr"`
		} `xml:"Provider"`
		EventID     int `xml:"EventID"`
		Level       int `xml:"Level"`
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
		EventRecordID uint64 `xml:"EventRecordID"`
		Execution     struct {
			ProcessID int `xml:"ProcessID,attr"`
		} `xml:"Execution"`
		Channel  string `xml:"Channel"`
		Computer string `xml:"Computer"`
		Security struct {
			UserID string `xml:"UserID,attr"`
		} `xml:"Security"`
	} `xml:"System"`
	EventData struct {
		Data []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		} `xml:"Data"`
	} `xml:"EventData"`
	UserData struct {
		Inner struct {
			Fields []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:",any"`
	} `xml:"UserData"`
	RenderingInfo struct {
		Message string `xml:"Message"`
	} `xml:"RenderingInfo"`
}

// ParseEventXML decodes the XML of one rendered event.
func ParseEventXML(b []byte) (protocol.EventRecord, error) {
	var e eventXML
	if err := xml.Unmarshal(b, &e); err != nil {
		return protocol.EventRecord{}, fmt.Errorf("event xml: %w", err)
	}
	s := e.System
	r := protocol.EventRecord{Source: s.Provider.Name, Channel: s.Channel, EventID: s.EventID, PID: s.Execution.ProcessID,
		Host: s.Computer, User: s.Security.UserID, RecordID: strconv.FormatUint(s.EventRecordID, 10)}
	if r.Source == "" {
		r.Source = s.Provider.EventSourceName
	}
	if t, err := time.Parse(time.RFC3339Nano, s.TimeCreated.SystemTime); err == nil {
		r.Time = t.UTC()
	}
	switch s.Level {
	case 1:
		r.Level = protocol.LevelCritical
	case 2:
		r.Level = protocol.LevelError
	case 3:
		r.Level = protocol.LevelWarning
	case 5:
		r.Level = protocol.LevelDebug
	default:
		r.Level = protocol.LevelInfo
	}
	data := map[string]string{}
	var plain []string
	for i, d := range e.EventData.Data {
		v := strings.TrimSpace(d.Value)
		name := d.Name
		if name == "" {
			name = "param" + strconv.Itoa(i+1)
			if v != "" {
				plain = append(plain, v)
			}
		}
		data[name] = clipMessage(v)
	}
	for _, f := range e.UserData.Inner.Fields {
		data[f.XMLName.Local] = clipMessage(strings.TrimSpace(f.Value))
	}
	if len(data) > 0 {
		r.Data = data
	}
	r.Message = strings.TrimSpace(e.RenderingInfo.Message)
	if r.Message == "" {
		// No publisher message: the event's own strings say what there is.
		r.Message = strings.Join(plain, "; ")
	}
	r.Message = clipMessage(strings.ReplaceAll(r.Message, "\r\n", "\n"))
	if r.Time.IsZero() {
		return r, fmt.Errorf("event xml: no TimeCreated")
	}
	return r, nil
}
