package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/api"
)

// filesResult is the file manager's transfer and listing figures: one
// real agent process on this machine, through the server over TLS.
type filesResult struct {
	TransferBytes   int64   `json:"transfer_bytes"`
	DownloadMBps    float64 `json:"download_mb_per_s"`
	DownloadRSSMB   float64 `json:"download_server_rss_growth_mb"`
	DownloadHBGapS  float64 `json:"download_max_heartbeat_gap_s"`
	UploadMBps      float64 `json:"upload_mb_per_s"`
	UploadRSSMB     float64 `json:"upload_server_rss_growth_mb"`
	UploadHBGapS    float64 `json:"upload_max_heartbeat_gap_s"`
	HeartbeatS      float64 `json:"heartbeat_interval_s"`
	ListFiles       int     `json:"list_files"`
	ListPages       int     `json:"list_pages"`
	ListSeconds     float64 `json:"list_all_pages_s"`
	ListFirstPageMS float64 `json:"list_first_page_ms"`
	ListSeconds5000 float64 `json:"list_all_pages_5000_s"`
	Error           string  `json:"error,omitempty"`
}

// transferWatch samples the server's RSS and the device's heartbeat
// sequence while a transfer runs.
type transferWatch struct {
	s        *server
	dev      string
	stop     chan struct{}
	done     sync.WaitGroup
	baseKB   float64
	peakKB   float64
	maxGap   time.Duration
	lastSeq  uint64
	lastSeen time.Time
}

func (s *server) watch(dev string) *transferWatch {
	w := &transferWatch{s: s, dev: dev, stop: make(chan struct{}), baseKB: procRSSKB(s.cmd.Process.Pid)}
	w.peakKB = w.baseKB
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			w.peakKB = max(w.peakKB, procRSSKB(s.cmd.Process.Pid))
			if n++; n%2 == 0 { // every 100 ms: the heartbeat the server last saw
				var d api.DeviceDetail
				if s.api("GET", "/api/v1/devices/"+dev, nil, &d) == nil {
					now := time.Now()
					if seq := d.Device.Heartbeat.Seq; seq != w.lastSeq {
						if !w.lastSeen.IsZero() {
							w.maxGap = max(w.maxGap, now.Sub(w.lastSeen))
						}
						w.lastSeq, w.lastSeen = seq, now
					}
				}
			}
		}
	}()
	return w
}

func (w *transferWatch) end() (rssMB, gapS float64) {
	close(w.stop)
	w.done.Wait()
	// The time since the last heartbeat counts too: a stall at the end.
	if !w.lastSeen.IsZero() {
		w.maxGap = max(w.maxGap, time.Since(w.lastSeen))
	}
	return (w.peakKB - w.baseKB) / 1024, w.maxGap.Seconds()
}

// patternReader yields n bytes of a repeating pattern without allocating.
type patternReader struct{ n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(b)), p.n))
	for i := range b[:k] {
		b[i] = byte(i)
	}
	p.n -= int64(k)
	return k, nil
}

// measureFiles runs a real agent and measures a download and an upload of
// size bytes through the server, and listing a folder of listN files.
func measureFiles(cfg config, size int64, listN int) (r filesResult) {
	r.TransferBytes, r.HeartbeatS, r.ListFiles = size, 1, listN
	s := &server{data: filepath.Join(cfg.out, "files-data"), extra: []string{"--heartbeat", "1s"}}
	_ = os.RemoveAll(s.data)
	if err := startServer(context.TODO(), cfg, s); err != nil {
		r.Error = err.Error()
		return
	}
	defer s.stop()
	work := filepath.Join(cfg.out, "files-work")
	_ = os.RemoveAll(work)
	defer os.RemoveAll(work)
	if err := os.MkdirAll(filepath.Join(work, "big-dir"), 0o755); err != nil {
		r.Error = err.Error()
		return
	}
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Files"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Files", MaxUses: 1}, &tok); err != nil {
		r.Error = err.Error()
		return
	}
	adir := filepath.Join(cfg.out, "files-agent")
	_ = os.RemoveAll(adir)
	agentBin := filepath.Join(cfg.bin, "steward-agent")
	if out, err := exec.Command(agentBin, "enroll", "--server", "https://"+s.addr, "--token", tok.Token,
		"--ca-fingerprint", s.fp, "--config", adir).CombinedOutput(); err != nil {
		r.Error = fmt.Sprintf("enroll: %v %s", err, out)
		return
	}
	ag := exec.Command(agentBin, "run", "--config", adir, "--log-level", "warn")
	if err := ag.Start(); err != nil {
		r.Error = err.Error()
		return
	}
	defer func() { _ = ag.Process.Signal(syscall.SIGTERM); _ = ag.Wait() }()
	var devs api.DeviceList
	for i := 0; i < 200; i++ {
		if s.api("GET", "/api/v1/devices?online=true", nil, &devs) == nil && len(devs.Devices) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(devs.Devices) != 1 {
		r.Error = "agent did not come online"
		return
	}
	dev := devs.Devices[0].ID
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	do := func(method, path string, body io.Reader, n int64) (*http.Response, error) {
		req, _ := http.NewRequest(method, "https://"+s.addr+path, body)
		req.Header.Set("Authorization", "Bearer "+s.token)
		if body != nil {
			req.ContentLength = n
		}
		resp, err := hc.Do(req)
		if err == nil && resp.StatusCode >= 300 {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp, err
	}
	q := func(k, v string, more ...string) string {
		u := url.Values{k: {v}}
		for i := 0; i+1 < len(more); i += 2 {
			u.Set(more[i], more[i+1])
		}
		return u.Encode()
	}
	time.Sleep(2 * time.Second) // a few heartbeats first

	// Download: a sparse file, so the disk is not what is measured.
	src := filepath.Join(work, "src.bin")
	if f, err := os.Create(src); err != nil || f.Truncate(size) != nil || f.Close() != nil {
		r.Error = fmt.Sprintf("create %s: %v", src, err)
		return
	}
	w := s.watch(dev)
	t0 := time.Now()
	resp, err := do("GET", "/api/v1/devices/"+dev+"/files/download?"+q("path", src), nil, 0)
	var n int64
	if err == nil {
		n, err = io.CopyBuffer(io.Discard, resp.Body, make([]byte, 256<<10))
		resp.Body.Close()
	}
	dl := time.Since(t0)
	r.DownloadRSSMB, r.DownloadHBGapS = w.end()
	if err != nil || n != size {
		r.Error = fmt.Sprintf("download: %d of %d bytes: %v", n, size, err)
		return
	}
	r.DownloadMBps = float64(size) / dl.Seconds() / 1e6
	_ = os.Remove(src)

	// Upload to a real file on disk.
	w = s.watch(dev)
	t0 = time.Now()
	resp, err = do("PUT", "/api/v1/devices/"+dev+"/files/upload?"+q("path", filepath.Join(work, "up.bin")), &patternReader{n: size}, size)
	if err == nil {
		resp.Body.Close()
	}
	ul := time.Since(t0)
	r.UploadRSSMB, r.UploadHBGapS = w.end()
	if err != nil {
		r.Error = "upload: " + err.Error()
		return
	}
	if st, err := os.Stat(filepath.Join(work, "up.bin")); err != nil || st.Size() != size {
		r.Error = fmt.Sprintf("upload wrote %v", err)
		return
	}
	r.UploadMBps = float64(size) / ul.Seconds() / 1e6
	_ = os.Remove(filepath.Join(work, "up.bin"))

	// A folder of listN files, listed page by page.
	big := filepath.Join(work, "big-dir")
	for i := range listN {
		f, err := os.Create(filepath.Join(big, "file-"+strconv.Itoa(i)+".txt"))
		if err != nil {
			r.Error = err.Error()
			return
		}
		f.Close()
	}
	// The agent does not cache a folder changed in the last 2 s (its mtime
	// could hide a change): list it as the settled folder it usually is.
	time.Sleep(3 * time.Second)
	listAll := func(limit int) (time.Duration, time.Duration, int, error) {
		t0 := time.Now()
		var first time.Duration
		cursor, pages, total := "", 0, 0
		for {
			resp, err := do("GET", "/api/v1/devices/"+dev+"/files?"+q("path", big, "limit", strconv.Itoa(limit), "cursor", cursor), nil, 0)
			if err != nil {
				return 0, 0, 0, err
			}
			var page api.FileList
			err = jsonDecode(resp.Body, &page)
			resp.Body.Close()
			if err != nil {
				return 0, 0, 0, err
			}
			if pages++; pages == 1 {
				first = time.Since(t0)
			}
			total += len(page.Entries)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if total != listN {
			return 0, 0, 0, fmt.Errorf("listed %d of %d files", total, listN)
		}
		return time.Since(t0), first, pages, nil
	}
	d, first, pages, err := listAll(1000)
	if err != nil {
		r.Error = "list: " + err.Error()
		return
	}
	r.ListSeconds, r.ListFirstPageMS, r.ListPages = d.Seconds(), float64(first.Microseconds())/1000, pages
	if d, _, _, err = listAll(5000); err == nil {
		r.ListSeconds5000 = d.Seconds()
	}
	return r
}

func printFiles(w io.Writer, r filesResult) {
	if r.Error != "" {
		fmt.Fprintln(w, "file manager: error:", r.Error)
		return
	}
	gb := float64(r.TransferBytes) / (1 << 30)
	fmt.Fprintf(w, "| file manager (real agent, TLS, heartbeat %.0f s) | throughput | server RSS growth (peak) | max heartbeat gap |\n", r.HeartbeatS)
	fmt.Fprintf(w, "|---|---:|---:|---:|\n")
	fmt.Fprintf(w, "| download %.1f GiB | %.0f MB/s | %.1f MB | %.1f s |\n", gb, r.DownloadMBps, r.DownloadRSSMB, r.DownloadHBGapS)
	fmt.Fprintf(w, "| upload %.1f GiB | %.0f MB/s | %.1f MB | %.1f s |\n", gb, r.UploadMBps, r.UploadRSSMB, r.UploadHBGapS)
	fmt.Fprintf(w, "\nlisting a folder of %d files: all %d pages of 1000 in %.2f s (first page %.0f ms); pages of 5000: %.2f s\n",
		r.ListFiles, r.ListPages, r.ListSeconds, r.ListFirstPageMS, r.ListSeconds5000)
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
