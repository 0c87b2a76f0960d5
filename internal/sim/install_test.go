package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// The fake location is a coherent US address: its state, time zone,
// coordinates and country agree, and it carries every attribute key of the
// SDK's EnvoyMetaLocation type.
func TestNewInstallLocationIsCoherent(t *testing.T) {
	byAbbr := map[string]usState{}
	for _, s := range usStates() {
		byAbbr[s.abbr] = s
	}
	if len(byAbbr) != 50 {
		t.Fatalf("usStates has %d distinct states, want 50", len(byAbbr))
	}
	sdkKeys := []string{"name", "company-name-override", "timezone", "locale", "address", "address-line-one",
		"address-line-two", "city", "state", "country", "zip", "longitude", "latitude", "created-at"}
	for seed := uint64(1); seed <= 200; seed++ {
		in := NewInstall(gofakeit.New(seed), InstallOptions{})
		a := in.Location.Attributes
		for _, k := range sdkKeys {
			if _, ok := a[k]; !ok {
				t.Fatalf("seed %d: location attribute %q missing", seed, k)
			}
		}
		st, ok := byAbbr[a["state"].(string)]
		if !ok {
			t.Fatalf("seed %d: state %v is not a US state", seed, a["state"])
		}
		if a["timezone"] != st.tz || in.Zone.Attributes["time-zone"] != st.tz {
			t.Fatalf("seed %d: state %s with time zones %v / %v, want %s", seed, st.abbr, a["timezone"], in.Zone.Attributes["time-zone"], st.tz)
		}
		if _, err := time.LoadLocation(st.tz); err != nil {
			t.Fatalf("time zone %s: %v", st.tz, err)
		}
		if a["city"] != st.city || !strings.HasPrefix(a["zip"].(string), st.zip3) || len(a["zip"].(string)) != 5 {
			t.Fatalf("seed %d: %v %v in %s", seed, a["city"], a["zip"], st.abbr)
		}
		if a["country"] != "United States" {
			t.Fatalf("seed %d: country %v", seed, a["country"])
		}
		lat, lon := a["latitude"].(float64), a["longitude"].(float64)
		if lat < st.lat-0.06 || lat > st.lat+0.06 || lon < st.lon-0.06 || lon > st.lon+0.06 {
			t.Fatalf("seed %d: %v,%v is not near %s (%v,%v)", seed, lat, lon, st.abbr, st.lat, st.lon)
		}
	}
}
