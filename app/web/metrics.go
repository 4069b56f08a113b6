package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inspraak/inspraak/models"
)

// metrics are the Prometheus figures of one instance, in a registry of
// their own (no global default registry): requests by route pattern and
// status class, open event streams, the mail queue and its failures, the
// database pool, and the Go runtime and process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// newMetrics registers the collectors; the mail queue is counted in the
// database at scrape time (one small GROUP BY on the outbox's status index).
func (s *Server) newMetrics() (*metrics, error) {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inspraak_http_requests_total",
		Help: "HTTP requests answered, by method, route pattern and status class (2xx, 3xx, 4xx, 5xx).",
	}, []string{"method", "route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "inspraak_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request (for event streams: until the stream starts), by method, route pattern and status class.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "code"})
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	cs := []prometheus.Collector{
		m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(sqlDB, "inspraak"),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "inspraak_live_connections",
			Help: "Server-Sent Events streams (town hall viewers) open on this instance.",
		}, func() float64 { return float64(s.hub.Open()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "inspraak_mail_sent_total",
			Help: "Mails this instance's worker sent since start.",
		}, func() float64 { n, _, _ := s.mailer.Stats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "inspraak_mail_send_failures_total",
			Help: "Failed send attempts of this instance's mail worker since start (each is retried unless given up).",
		}, func() float64 { _, n, _ := s.mailer.Stats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "inspraak_mail_given_up_total",
			Help: "Mails this instance's worker gave up for good since start (a permanent refusal, or retried for 72 hours).",
		}, func() float64 { _, _, n := s.mailer.Stats(); return float64(n) }),
		&outboxCollector{s: s, desc: prometheus.NewDesc("inspraak_mail_outbox",
			"Mails in the outbox (all instances) by status: queued (waiting or to be retried), sending (claimed), failed (given up, kept 30 days).",
			[]string{"status"}, nil)},
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts every request by its route pattern, never its path
// (paths hold personal link tokens and ids).
func (m *metrics) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusOf(err)
	}
	route := routeLabel(c)
	code := strconv.Itoa(status/100) + "xx"
	method := c.Method()
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions:
	default:
		method = "other"
	}
	m.requests.WithLabelValues(method, route, code).Inc()
	m.latency.WithLabelValues(method, route, code).Observe(time.Since(start).Seconds())
	return err
}

// routeLabel is the pattern of the route that answered ("/surveys/:id",
// or "/static" for static files), never the path. A request that no route
// matched, or that middleware refused before it reached its route (e.g. a
// CSRF failure), is "other": Fiber then reports the catch-all "/".
func routeLabel(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Path == "" || (r.Path == "/" && c.Path() != "/") {
		return "other"
	}
	return r.Path
}

// metricsHandler serves the registry to callers with the bearer token.
// Without METRICS_TOKEN the route does not exist (404); a missing or wrong
// token gets 401. The token is compared in constant time (of its hash).
func (s *Server) metricsHandler() fiber.Handler {
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg, Timeout: 10 * time.Second}))
	return func(c *fiber.Ctx) error {
		token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !ok || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return c.Status(fiber.StatusUnauthorized).SendString("unauthorized\n")
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return h(c)
	}
}

// outboxCollector counts the outbox by status when scraped.
type outboxCollector struct {
	s    *Server
	desc *prometheus.Desc
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rows []struct {
		Status string
		N      int64
	}
	statuses := []string{models.MailQueued, models.MailSending, models.MailFailed}
	err := o.s.db.WithContext(ctx).Model(&models.OutboxMail{}).Select("status, COUNT(*) AS n").
		Where("status IN ?", statuses).Group("status").Scan(&rows).Error
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.desc, err)
		return
	}
	counts := map[string]int64{}
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	for _, st := range statuses {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(counts[st]), st)
	}
}
