package web

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flashd/flashd/store"
)

// metrics are what the server exports for Prometheus (Server.Metrics):
// request latency by route, ratings saved, the review queue's read
// latency, the database pools' statistics, the Go runtime's and the
// build's. Each Server has its own registry, so tests and tools may run
// several.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.HistogramVec
	ratings   *prometheus.CounterVec
	queueRead prometheus.Histogram
}

// latencyBuckets span a cached page (a fraction of a millisecond) to a
// request that waited for the writer under load (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics(db *store.DB) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flashd_http_request_duration_seconds",
			Help:    "Time to serve a request, by route (the router's pattern), method and status code.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "code"}),
		ratings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flashd_ratings_total",
			Help: "Ratings saved, by outcome: saved, or stale (a replayed or outdated form, which changes nothing).",
		}, []string{"outcome"}),
		queueRead: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "flashd_queue_read_duration_seconds",
			Help:    "Time to read a review step (the next card and the counts) from the database.",
			Buckets: latencyBuckets,
		}),
	}
	version, revision := buildVersion()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "flashd_build_info",
		Help:        "The running flashd's version and source revision (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	build.Set(1)
	m.registry.MustRegister(m.requests, m.ratings, m.queueRead, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, pool := range db.Pools() {
		m.registry.MustRegister(collectors.NewDBStatsCollector(pool, name))
	}
	m.ratings.WithLabelValues("saved")
	m.ratings.WithLabelValues("stale")
	return m
}

// buildVersion reads the module version and VCS revision Go stamped into
// the binary ("(devel)" and "unknown" in tests and go run).
func buildVersion() (version, revision string) {
	version, revision = "(devel)", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	if info.Main.Version != "" {
		version = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return version, revision
}

// observeRequest records a served request; route is the router's pattern
// ("" for a path no route matched).
func (m *metrics) observeRequest(route, method string, code int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Observe(took.Seconds())
}

// Metrics returns the handler that serves the server's metrics in
// Prometheus's text format. flashd serves it on an address of its own
// (serve --metrics), never on the public one.
func (s *Server) Metrics() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}
