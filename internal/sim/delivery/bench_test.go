package delivery

import (
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

// BenchmarkGenerateAndSign measures what send-event does per delivery
// before the network: a fresh event (meta + payload), encoding, and the
// HMAC signature. bench/send-event compares the whole with wrk.
func BenchmarkGenerateAndSign(b *testing.B) {
	for _, ev := range events.All() {
		b.Run(ev.Name, func(b *testing.B) {
			gen := events.NewGenerator(1, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
			bl := &Builder{Gen: gen, Install: gen.Install(sim.InstallOptions{Scopes: true}), Secret: testSecret, UserAgent: "envoy-plugin/bench"}
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				d, err := bl.Build(ev.Name, "http://127.0.0.1:3000/worker")
				if err != nil {
					b.Fatal(err)
				}
				size = len(d.Body)
			}
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}
