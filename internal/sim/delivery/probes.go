package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Verdicts of a signing probe.
const (
	Rejected = "rejected" // the plugin did not take it as a success: pass
	Accepted = "accepted" // 2xx for a badly signed request: fail
	NoAnswer = "no answer"
)

// Probe is one badly signed variant of a delivery and what the plugin did.
type Probe struct {
	Name      string  `json:"name"`
	Status    int     `json:"status"`
	Verdict   string  `json:"verdict"`
	Pass      bool    `json:"pass"`
	Diagnosis string  `json:"diagnosis"`
	LatencyMS float64 `json:"latency_ms"`
}

// SigningReport is the result of --check-signing for one event.
type SigningReport struct {
	Event    string  `json:"event"`
	URL      string  `json:"url"`
	Baseline Result  `json:"baseline"`
	Probes   []Probe `json:"probes"`
	Pass     bool    `json:"pass"`
	// Inconclusive: the correctly signed delivery failed unexpectedly, so
	// the probes prove nothing (Pass is false).
	Inconclusive bool   `json:"inconclusive,omitempty"`
	Advice       string `json:"advice,omitempty"`
}

// probeVariant builds a badly signed request from a correctly signed one.
type probeVariant struct {
	name  string
	build func(d Delivery, secret string) Delivery
}

func probeVariants() []probeVariant {
	return []probeVariant{
		{"no signature", func(d Delivery, _ string) Delivery {
			d.Header.Del(creds.SignatureHeader)
			return d
		}},
		{"wrong secret", func(d Delivery, secret string) Delivery {
			d.Header.Set(creds.SignatureHeader, creds.Sign(secret+"-not-the-secret", d.Body))
			return d
		}},
		{"tampered body", func(d Delivery, _ string) Delivery {
			d.Body = Tamper(d.Body)
			return d
		}},
		{"hex signature", func(d Delivery, secret string) Delivery {
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write(d.Body)
			d.Header.Set(creds.SignatureHeader, hex.EncodeToString(mac.Sum(nil)))
			return d
		}},
	}
}

// CheckSigning sends d as it is (the baseline) and then each badly signed
// variant: no signature, a wrong secret, a tampered body under the original
// signature, a hex-encoded signature. Each variant carries its own job id
// (derived from d's), so that a plugin that de-duplicates jobs cannot hide
// an accepted forgery. A variant passes when the plugin answers, and not
// with a 2xx. The check fails as inconclusive when the correctly signed
// delivery itself fails unexpectedly (no answer, 5xx, a redirect).
func CheckSigning(ctx context.Context, c *sim.Client, d Delivery, secret string) SigningReport {
	rep := SigningReport{Event: d.Event, URL: d.URL, Pass: true}
	rep.Baseline = Send(ctx, c, d)
	for _, v := range probeVariants() {
		pd := d
		pd.Header = d.Header.Clone()
		if d.JobID != "" {
			pd.JobID = DeriveID(d.JobID, v.name)
			pd.Body = bytes.Replace(d.Body, []byte(`"`+d.JobID+`"`), []byte(`"`+pd.JobID+`"`), 1)
			pd.Header.Set(creds.SignatureHeader, creds.Sign(secret, pd.Body))
		}
		pd = v.build(pd, secret)
		res := Send(ctx, c, pd)
		p := Probe{Name: v.name, Status: res.Status, Diagnosis: res.Diagnosis, LatencyMS: res.LatencyMS}
		switch {
		case res.Status == 0:
			p.Verdict = NoAnswer
		case res.Accepted():
			p.Verdict = Accepted
			p.Diagnosis = fmt.Sprintf("the plugin answered %d to a request with a bad signature", res.Status)
		default:
			p.Verdict = Rejected
			p.Pass = true
		}
		if !p.Pass {
			rep.Pass = false
		}
		rep.Probes = append(rep.Probes, p)
	}
	switch {
	case rep.Baseline.Unexpected:
		// No answer, a 500, a redirect: the probes' rejections say nothing
		// about signature checking when the genuine request fails too.
		rep.Pass = false
		rep.Inconclusive = true
		rep.Advice = fmt.Sprintf("the correctly signed delivery failed: %s; the probes are inconclusive", rep.Baseline.Diagnosis)
		if rep.Baseline.Hint != "" {
			rep.Advice += " (" + rep.Baseline.Hint + ")"
		}
	case !rep.Pass && anyVerdict(rep.Probes, Accepted):
		rep.Advice = "verify X-Envoy-Signature (base64 HMAC-SHA256 of the raw body with ENVOY_CLIENT_SECRET) before doing anything; with Envoy's SDK, read meta or payload in every handler so that its middleware checks it"
	case !rep.Pass:
		rep.Advice = "some probes got no answer, so the check is inconclusive"
	case !rep.Baseline.Accepted():
		rep.Advice = "the correctly signed delivery was not accepted either: the probes show only that the plugin refuses everything"
	}
	return rep
}

func anyVerdict(ps []Probe, v string) bool {
	for _, p := range ps {
		if p.Verdict == v {
			return true
		}
	}
	return false
}

// Tamper changes a JSON body the way an attacker would (the visitor's name
// when there is one, else an added field), keeping it valid JSON. A body
// that is not a JSON object gets a byte appended.
func Tamper(body []byte) []byte {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return append(append([]byte(nil), body...), ' ')
	}
	done := false
	if p, ok := obj["payload"].(map[string]any); ok {
		if attrs, ok := p["attributes"].(map[string]any); ok {
			if _, ok := attrs["full-name"]; ok {
				attrs["full-name"] = "Mallory Tampered"
				done = true
			}
		}
	}
	if !done {
		obj["tampered"] = true
	}
	out, err := sim.Marshal(obj)
	if err != nil || bytes.Equal(out, body) {
		return append(append([]byte(nil), body...), ' ')
	}
	return out
}

// DeriveID makes a URL-safe, UUID-shaped id from id and salt, the same on
// every run (so --seed still reproduces every request).
func DeriveID(id, salt string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + salt))
	h := hex.EncodeToString(sum[:16])
	// Version 4 and RFC 4122 variant bits, so that UUID validators accept it.
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[sum[8]&3]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32])
}

// WriteText prints the probes.
func (r SigningReport) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s signing check for %s → %s\n", passIcon(cs, r.Pass), cs.Bold(r.Event), r.URL)
	base := fmt.Sprintf("%d", r.Baseline.Status)
	if r.Baseline.Status == 0 {
		base = "no answer"
	}
	fmt.Fprintf(&b, "  %-15s %-9s %s\n", "signed", base, r.Baseline.Label()+": "+r.Baseline.Diagnosis)
	for _, p := range r.Probes {
		st := fmt.Sprintf("%d", p.Status)
		if p.Status == 0 {
			st = "-"
		}
		fmt.Fprintf(&b, "  %s %-13s %-9s %s: %s\n", passIcon(cs, p.Pass), p.Name, st, p.Verdict, p.Diagnosis)
	}
	if r.Advice != "" {
		fmt.Fprintf(&b, "  %s %s\n", cs.Yellow("hint:"), r.Advice)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func passIcon(cs *iostreams.ColorScheme, ok bool) string {
	if ok {
		return cs.SuccessIcon()
	}
	return cs.FailureIcon()
}

// ReplayReport is the result of --replay: the identical signed delivery
// sent twice.
type ReplayReport struct {
	Event        string `json:"event"`
	URL          string `json:"url"`
	First        Result `json:"first"`
	Second       Result `json:"second"`
	Deduplicated bool   `json:"deduplicated"`
	Verdict      string `json:"verdict"`
	Advice       string `json:"advice"`
}

// Replay sends d twice, byte for byte, and tells whether the plugin noticed
// the second one. It is advice: the platform's signature has no timestamp,
// so a captured request can always be replayed.
func Replay(ctx context.Context, c *sim.Client, d Delivery) ReplayReport {
	rep := ReplayReport{Event: d.Event, URL: d.URL}
	rep.First = Send(ctx, c, d)
	rep.Second = Send(ctx, c, d)
	switch {
	case !rep.First.Accepted():
		rep.Verdict = "inconclusive"
		rep.Advice = "the first delivery was not accepted, so a replay tells nothing; fix that first"
	case rep.Second.Accepted():
		rep.Verdict = "processed twice"
		rep.Advice = "Envoy's signature has no timestamp: a captured request can be replayed; remember meta.job.id and answer 400 (ignored) for a job already handled"
	default:
		rep.Deduplicated = true
		rep.Verdict = "de-duplicated"
		rep.Advice = "the replay was not taken as a success; good"
	}
	return rep
}

// WriteText prints the replay verdict.
func (r ReplayReport) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	icon := cs.WarningIcon()
	if r.Deduplicated {
		icon = cs.SuccessIcon()
	}
	fmt.Fprintf(&b, "%s replay of %s → %s: %s\n", icon, cs.Bold(r.Event), r.URL, r.Verdict)
	fmt.Fprintf(&b, "  first:  %s (%d) %s\n", r.First.Label(), r.First.Status, r.First.Diagnosis)
	fmt.Fprintf(&b, "  second: %s (%d) %s\n", r.Second.Label(), r.Second.Status, r.Second.Diagnosis)
	fmt.Fprintf(&b, "  %s %s\n", cs.Yellow("advice:"), r.Advice)
	_, err := io.WriteString(w, b.String())
	return err
}
