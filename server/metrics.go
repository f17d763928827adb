package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus series the server exposes on /metrics.
type metrics struct {
	reg             *prometheus.Registry
	handshakes      prometheus.Gauge
	handshakeErrors prometheus.Counter
	handshakesDone  *prometheus.CounterVec
	runs            *prometheus.CounterVec
	storeWrite      prometheus.Histogram
	enrollments     prometheus.Counter
	notifyAttempts  *prometheus.CounterVec
	autoRuns        *prometheus.CounterVec
	slaBreaches     *prometheus.CounterVec
	autoTick        prometheus.Histogram
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.handshakes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "steward_tls_handshakes_in_progress",
		Help: "TLS handshakes under way."})
	m.handshakeErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "steward_tls_handshake_errors_total",
		Help: "Failed TLS handshakes."})
	m.handshakesDone = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "steward_tls_handshakes_total",
		Help: "Completed TLS handshakes, by whether they resumed a session (a reconnect storm should be mostly resumed)."},
		[]string{"resumed"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "steward_job_runs_total",
		Help: "Job runs reaching a state."}, []string{"state"})
	m.storeWrite = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "steward_store_write_seconds",
		Help: "Latency of batched store writes.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	m.enrollments = prometheus.NewCounter(prometheus.CounterOpts{Name: "steward_enrollments_total",
		Help: "Successful enrollments."})
	hubGauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	hubCounter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	m.notifyAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "steward_notify_deliveries_total",
		Help: "Notification delivery attempts by channel type and outcome (sent, failed: to be retried, dead: given up)."},
		[]string{"channel_type", "outcome"})
	m.reg.MustRegister(m.notifyAttempts, hubGauge("steward_notify_outbox_pending", "Notification deliveries waiting in the outbox.",
		func() float64 {
			if s.notify == nil {
				return 0
			}
			return float64(s.notify.Pending())
		}))
	m.autoRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "steward_automation_runs_total",
		Help: "Scheduled task occurrences by outcome (started; skipped-offline, skipped-running, skipped-deadline, not-required; failed; reboot steps prompted, deferred, rebooting, rebooted)."},
		[]string{"outcome"})
	m.reg.MustRegister(m.autoRuns)
	m.slaBreaches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "steward_tickets_sla_breaches_total",
		Help: "SLA breaches the sweep recorded and notified, by target (first_response, resolution)."}, []string{"target"})
	for _, t := range []string{"first_response", "resolution"} {
		m.slaBreaches.WithLabelValues(t) // listed at 0 before the first breach
	}
	m.reg.MustRegister(m.slaBreaches)
	m.autoTick = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "steward_automation_tick_seconds",
		Help:    "Time the automation scheduler spends per tick (reconciling, starting what is due, storing its state).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)})
	m.reg.MustRegister(m.autoTick)
	m.reg.MustRegister(m.handshakes, m.handshakeErrors, m.handshakesDone, m.runs, m.storeWrite, m.enrollments,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		hubGauge("steward_agents_connected", "Connected agents.", func() float64 { return float64(s.hub.Count()) }),
		hubCounter("steward_messages_in_total", "Messages received from agents.",
			func() float64 { return float64(s.hub.Metrics.MessagesIn.Load()) }),
		hubCounter("steward_messages_out_total", "Messages sent to agents.",
			func() float64 { return float64(s.hub.Metrics.MessagesOut.Load()) }),
		hubCounter("steward_outbox_drops_total", "Agents disconnected because their outbox was full.",
			func() float64 { return float64(s.hub.Metrics.OutboxDrops.Load()) }),
		hubCounter("steward_bad_frames_total", "Oversize or malformed frames from agents.",
			func() float64 { return float64(s.hub.Metrics.BadFrames.Load()) }),
	)
	for _, sev := range []string{"information", "warning", "critical"} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "steward_alerts_open",
			Help: "Unresolved (open or snoozed) alerts by severity.", ConstLabels: prometheus.Labels{"severity": sev}},
			func() float64 { return float64(s.alerts.OpenCounts()[sev]) }))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// RunState counts a job run reaching state.
func (m *metrics) RunState(state string) { m.runs.WithLabelValues(state).Inc() }

// StoreWrite records one batched store commit's latency.
func (m *metrics) StoreWrite(d time.Duration) { m.storeWrite.Observe(d.Seconds()) }

// Delivery counts one notification delivery attempt.
func (m *metrics) Delivery(channelType, outcome string) {
	m.notifyAttempts.WithLabelValues(channelType, outcome).Inc()
}

// Enrolled counts one successful enrollment.
func (m *metrics) Enrolled() { m.enrollments.Inc() }

// Scheduled counts scheduled task occurrences by outcome (the automation
// wing).
func (m *metrics) Scheduled(outcome string, n int) {
	m.autoRuns.WithLabelValues(outcome).Add(float64(n))
}

// SLABreach counts one SLA breach notified by the sweep (the tickets
// wing).
func (m *metrics) SLABreach(target string) { m.slaBreaches.WithLabelValues(target).Inc() }

// SchedulerTick records one automation scheduler tick's duration.
func (m *metrics) SchedulerTick(d time.Duration) { m.autoTick.Observe(d.Seconds()) }
