package rpc

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
)

// Metrics is the registry's Prometheus registry: calls by procedure and
// code (counted and timed by the server interceptor), the database
// connection pool, the audit chain's length, and the Go runtime and process.
//
//	registry_rpc_requests_total{procedure,code}            counter
//	registry_rpc_request_duration_seconds{procedure,code}  histogram
//	registry_audit_chain_length                            gauge, read from the database on each scrape
//	go_sql_*{db_name="registry"}                           pool gauges and counters (sql.DBStats)
type Metrics struct {
	registry *prometheus.Registry
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	log      *zap.Logger
}

// NewMetrics builds the metrics of reg, its database pool's among them.
func NewMetrics(reg *registry.Registry, log *zap.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "registry_rpc_requests_total",
			Help: "RPCs handled, by procedure and Connect code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "registry_rpc_request_duration_seconds",
			Help:    "Time to handle an RPC, authentication included, by procedure and Connect code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"procedure", "code"}),
		log: log,
	}
	m.registry.MustRegister(
		m.calls, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if reg != nil {
		m.registry.MustRegister(&auditChainCollector{reg: reg, desc: prometheus.NewDesc(
			"registry_audit_chain_length", "Events in the audit chain (the chain head's sequence number).", nil, nil)})
	}
	if pool := reg.Pool(); pool != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(pool, "registry"))
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition formats. A
// collector that fails (the database is unreachable) is logged and left
// out; the rest are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      zap.NewStdLog(m.log),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// observe records one finished call.
func (m *Metrics) observe(procedure, code string, d time.Duration) {
	m.calls.WithLabelValues(procedure, code).Inc()
	m.duration.WithLabelValues(procedure, code).Observe(d.Seconds())
}

// auditChainCollector reads the chain length when scraped.
type auditChainCollector struct {
	reg  *registry.Registry
	desc *prometheus.Desc
}

func (c *auditChainCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *auditChainCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.reg.AuditChainLength(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}
