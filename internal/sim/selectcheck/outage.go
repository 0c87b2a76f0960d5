package selectcheck

import (
	"net/url"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// outage is a transport failure of one of a field's calls: a call that
// timed out, or a connection refused or reset. Every later call of the same
// field to that plugin server (options URL, selected-values URL, signing
// probes) would most likely fail the same way, a hanging one each after its
// own --timeout, so the checks that need one are skipped instead, naming
// the first failure. Other fields still run.
//
// HTTP errors and invalid answers are no outage: the endpoint answers, and
// the other checks still tell something.
type outage struct {
	server string // scheme://host of the endpoint (the URL when unparsable)
	what   string // e.g. "the options URL timed out on page 2 (10s)"
}

// noteOutage records err, a failed call to endpoint at `at` (e.g. "page
// 2", `search "a", page 1`), when it is a transport failure. It returns
// whether it was one.
func (c *fieldRun) noteOutage(endpoint, at string, err error) bool {
	if err == nil {
		return false
	}
	diag, _ := sim.Diagnose(err, endpoint)
	o := outage{server: serverOf(endpoint)}
	name := c.endpointName(endpoint)
	switch diag {
	case "timed out":
		o.what = name + " timed out on " + at + " (" + shortDur(c.opts.Client.Timeout()) + ")"
	case "connection refused":
		o.what = name + " refused the connection on " + at
	case "connection reset":
		o.what = name + " reset the connection on " + at
	default:
		return false
	}
	c.outages = append(c.outages, o)
	return true
}

// skipped is the message of a check skipped because endpoint's server had
// an outage earlier in the field's run; "" when it did not.
func (c *fieldRun) skipped(endpoint string) string {
	server := serverOf(endpoint)
	for _, o := range c.outages {
		if o.server == server {
			return "skipped: " + o.what + "; fix that first"
		}
	}
	return ""
}

func (c *fieldRun) endpointName(endpoint string) string {
	if endpoint == c.t.URL {
		return "the options URL"
	}
	return "the selected-values URL"
}

func serverOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return endpoint
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// shortDur prints a timeout as it would be typed: 10s, 300ms, 1m, 1m30s.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
