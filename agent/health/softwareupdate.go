package health

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// ParseSoftwareUpdate parses `softwareupdate --list` in both layouts: since
// macOS 10.15 a "* Label: LABEL" line followed by a tab-indented "Title: T,
// Version: V, Size: 3829595KiB, Recommended: YES, Action: restart," line;
// before, "   * LABEL" followed by "\tTitle (version), 1633218K
// [recommended] [restart]". The label is the ID softwareupdate --install takes.
// "Action: restart" (or shut down) and "[restart]" set RebootRequired;
// titles naming a security update or response set Security; Classification
// follows the title (see patchclass.go).
func ParseSoftwareUpdate(b []byte) []protocol.Patch {
	var out []protocol.Patch
	seen := map[string]bool{}
	var cur *protocol.Patch
	flush := func() {
		if cur != nil && !seen[cur.ID] && len(out) < maxPatches {
			seen[cur.ID] = true
			if cur.Name == "" {
				cur.Name = cur.ID
			}
			cur.Security = isAppleSecurity(cur.Name) || isAppleSecurity(cur.ID)
			cur.Classification = appleClass(cur.Name, cur.ID, cur.AvailableVersion)
			out = append(out, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		trim := strings.TrimLeft(line, " ")
		switch {
		case strings.HasPrefix(trim, "* "):
			flush()
			label := strings.TrimPrefix(trim, "* ")
			label = strings.TrimPrefix(label, "Label: ")
			// A label is an argument of softwareupdate --install: never
			// one that reads as an option.
			if label = Clean(label, MaxField); label != "" && !strings.HasPrefix(label, "-") {
				cur = &protocol.Patch{ID: label}
			}
		case cur != nil && strings.HasPrefix(line, "\t") || cur != nil && strings.HasPrefix(line, "    "):
			parseSUDetail(cur, strings.TrimSpace(line))
		}
	}
	flush()
	return out
}

var suKeys = []string{"Title", "Version", "Size", "Recommended", "Action"}

var suOldRE = regexp.MustCompile(`^(.*) \(([^()]*)\), ([0-9]+[KMG]i?B?)(.*)$`)

func parseSUDetail(p *protocol.Patch, s string) {
	if strings.HasPrefix(s, "Title: ") {
		for k, v := range suFields(s) {
			switch k {
			case "Title":
				p.Name = Clean(v, MaxField)
			case "Version":
				p.AvailableVersion = Clean(v, MaxField)
			case "Size":
				p.Size = parseSUSize(v)
			case "Action":
				a := strings.ToLower(v)
				p.RebootRequired = a == "restart" || a == "shut down" || a == "shutdown"
			}
		}
		return
	}
	if m := suOldRE.FindStringSubmatch(s); m != nil {
		p.Name = Clean(m[1], MaxField)
		p.AvailableVersion = Clean(m[2], MaxField)
		p.Size = parseSUSize(m[3])
		p.RebootRequired = strings.Contains(m[4], "[restart]") || strings.Contains(m[4], "[shut down]")
	}
}

// suFields splits "Title: a, Version: b, ..." on the known keys, so a comma
// inside a title does not end it.
func suFields(s string) map[string]string {
	type pos struct {
		key        string
		start, val int
	}
	var ps []pos
	for _, k := range suKeys {
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], k+": ")
			if i < 0 {
				break
			}
			i += off
			if i == 0 || strings.HasSuffix(s[:i], ", ") {
				ps = append(ps, pos{k, i, i + len(k) + 2})
				break
			}
			off = i + 1
		}
	}
	// order by position
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].start < ps[j-1].start; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	out := map[string]string{}
	for i, p := range ps {
		end := len(s)
		if i+1 < len(ps) {
			end = ps[i+1].start
		}
		if p.val > end {
			continue
		}
		out[p.key] = strings.TrimRight(strings.TrimSpace(s[p.val:end]), ",")
	}
	return out
}

// parseSUSize reads "65417K", "3829595KiB", "1.2MB": softwareupdate counts
// in units of 1024 bytes.
func parseSUSize(s string) int64 {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || n < 0 {
		return 0
	}
	mult := 1.0
	switch strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s[i:], "B"), "i")) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	v := n * mult
	if v > maxSize {
		return maxSize
	}
	return int64(v)
}

func isAppleSecurity(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "security update") || strings.Contains(l, "security response") ||
		strings.Contains(l, "background security") || strings.HasPrefix(l, "xprotect")
}

// suNothingNew reports softwareupdate's answer when nothing is available:
// since macOS 10.15 it prints "No new software available." on stderr and
// exits 1. That is zero updates, not a failed scan.
func suNothingNew(out []byte) bool {
	return bytes.Contains(out, []byte("No new software available."))
}
