package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

// Builder makes the deliveries of one run: generated events for one
// install, edited as asked, encoded, and signed.
type Builder struct {
	Gen     *events.Generator
	Install *sim.Install
	Variant events.Variant
	// Sets are the --set edits, applied last.
	Sets []events.Set
	// Payload replaces the generated payload (--payload): one JSON value,
	// decoded afresh for every delivery; nil keeps the generated one.
	Payload json.RawMessage
	// Body is sent as it is (--body): nothing is generated or edited.
	Body      []byte
	Secret    string
	UserAgent string
}

// Build makes one delivery of event to url: a fresh job id every call.
func (b *Builder) Build(event, url string) (Delivery, error) {
	p, err := b.Generate(event, url)
	if err != nil {
		return Delivery{}, err
	}
	return p.Finish()
}

// Preparer is a delivery still to be finished (encoded and signed); the
// load runner finishes them in its workers, in parallel.
type Preparer interface {
	Finish() (Delivery, error)
}

// Finish returns d: a built delivery is ready.
func (d Delivery) Finish() (Delivery, error) { return d, nil }

// Pending is a generated event not yet edited, encoded and signed.
type Pending struct {
	b          *Builder
	event, url string
	body       map[string]any
}

// Generate draws the next event from the generator (the part that must run
// in order for --seed to reproduce a run); Finish does the rest.
func (b *Builder) Generate(event, url string) (Pending, error) {
	p := Pending{b: b, event: event, url: url}
	if b.Body != nil {
		return p, nil
	}
	body, err := b.Gen.Event(event, b.Install, b.Variant)
	if err != nil {
		return p, err
	}
	p.body = body
	return p, nil
}

// Finish applies --payload and --set, encodes and signs. It may run on any
// goroutine.
func (p Pending) Finish() (Delivery, error) {
	b := p.b
	if b.Body != nil {
		return NewDelivery(p.event, p.url, JobID(b.Body), b.Body, b.Secret, b.UserAgent), nil
	}
	body := p.body
	if b.Payload != nil {
		dec := json.NewDecoder(bytes.NewReader(b.Payload))
		dec.UseNumber()
		var pl any
		if err := dec.Decode(&pl); err != nil {
			return Delivery{}, fmt.Errorf("the payload is not JSON: %w", err)
		}
		body["payload"] = pl
	}
	if err := events.ApplySets(body, b.Sets); err != nil {
		return Delivery{}, err
	}
	raw, err := Encode(body)
	if err != nil {
		return Delivery{}, fmt.Errorf("encoding the %s body: %w", p.event, err)
	}
	return NewDelivery(p.event, p.url, jobIDOf(body), raw, b.Secret, b.UserAgent), nil
}

func jobIDOf(body map[string]any) string {
	meta, _ := body["meta"].(map[string]any)
	job, _ := meta["job"].(map[string]any)
	id, _ := job["id"].(string)
	return id
}

// JobID returns meta.job.id of a JSON body, "" when there is none.
func JobID(body []byte) string {
	var v struct {
		Meta struct {
			Job struct {
				ID any `json:"id"`
			} `json:"job"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	id, _ := v.Meta.Job.ID.(string)
	return id
}
