package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// InstallSeed derives the fake-data seed of an install from its id, so that
// the location, company and zone of a simulated install are the same in
// every command (send-event, test-select, install) and on every run.
func InstallSeed(installID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(installID))
	return h.Sum64()
}

// InstallOptions choose the fake install's ids and config.
type InstallOptions struct {
	PluginID  string         // generated when empty
	InstallID string         // generated when empty
	Config    map[string]any // the install's config (setup answers)
	Scopes    bool           // the plugin asks for API scopes: meta.auth is set
	Now       time.Time      // "created-at" timestamps derive from it
}

// NewInstall makes a fake install (plugin, install, location, company, zone)
// from the seeded faker, so that --seed reproduces every id.
func NewInstall(f *gofakeit.Faker, o InstallOptions) *Install {
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	}
	created := o.Now.Add(-time.Duration(f.IntRange(30, 900)) * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	// A US address whose city, zip, state, time zone and coordinates
	// agree: the street and the zip's last digits from the fake-data
	// library, the rest from the state drawn from usStates.
	states := usStates()
	st := states[f.IntRange(0, len(states)-1)]
	street, city, zip := f.Street(), st.city, st.zip3+f.Numerify("##")
	lat := round6(st.lat + f.Float64Range(-0.05, 0.05))
	lon := round6(st.lon + f.Float64Range(-0.05, 0.05))
	tz := st.tz
	locID := fmt.Sprint(f.IntRange(1000, 99999))
	companyID := fmt.Sprint(f.IntRange(1000, 99999))
	zoneID := fmt.Sprint(f.IntRange(100, 9999))
	in := &Install{
		PluginID:  o.PluginID,
		InstallID: o.InstallID,
		Config:    o.Config,
		// The attribute keys of the SDK's EnvoyMetaLocation type, nullable
		// ones included as null, so that a plugin reading any of them sees
		// what Envoy sends rather than undefined.
		Location: Resource{ID: locID, Type: "locations", Attributes: map[string]any{
			"name":                  city + " HQ",
			"company-name-override": nil,
			"timezone":              tz,
			"locale":                nil,
			"address":               fmt.Sprintf("%s, %s, %s %s", street, city, st.abbr, zip),
			"address-line-one":      street,
			"address-line-two":      nil,
			"city":                  city,
			"state":                 st.abbr,
			"zip":                   zip,
			"country":               "United States",
			"latitude":              lat,
			"longitude":             lon,
			"created-at":            created,
		}},
		Company: Resource{ID: companyID, Type: "companies", Attributes: map[string]any{
			"name":       f.Company(),
			"active":     true,
			"created-at": created,
		}},
		Zone: Resource{ID: zoneID, Type: "zones", Attributes: map[string]any{
			"name":      "Floor " + fmt.Sprint(f.IntRange(1, 30)),
			"address":   fmt.Sprintf("%s, %s", street, city),
			"logo-url":  "https://example.com/zone-logo.png",
			"time-zone": tz,
		}},
	}
	if in.PluginID == "" {
		in.PluginID = f.UUID()
	}
	if in.InstallID == "" {
		in.InstallID = f.UUID()
	}
	if in.Config == nil {
		in.Config = map[string]any{}
	}
	if o.Scopes {
		in.Auth = &Auth{
			TokenType:             "Bearer",
			AccessToken:           f.LetterN(40),
			ExpiresIn:             3600,
			RefreshToken:          f.LetterN(40),
			RefreshTokenExpiresIn: 86400,
		}
	}
	return in
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// usState is a US state with its capital, the first three digits of the
// capital's ZIP codes, its (main) IANA time zone and the capital's
// coordinates, so that a fake location's city, zip, state, time zone and
// position agree.
type usState struct {
	abbr, city, zip3, tz string
	lat, lon             float64
}

// usStates is a function, not a package variable: the project keeps no
// globals.
func usStates() []usState {
	return []usState{
		{"AL", "Montgomery", "361", "America/Chicago", 32.377, -86.300},
		{"AK", "Juneau", "998", "America/Anchorage", 58.302, -134.420},
		{"AZ", "Phoenix", "850", "America/Phoenix", 33.448, -112.097},
		{"AR", "Little Rock", "722", "America/Chicago", 34.747, -92.289},
		{"CA", "Sacramento", "958", "America/Los_Angeles", 38.577, -121.494},
		{"CO", "Denver", "802", "America/Denver", 39.739, -104.985},
		{"CT", "Hartford", "061", "America/New_York", 41.764, -72.682},
		{"DE", "Dover", "199", "America/New_York", 39.157, -75.520},
		{"FL", "Tallahassee", "323", "America/New_York", 30.438, -84.281},
		{"GA", "Atlanta", "303", "America/New_York", 33.749, -84.388},
		{"HI", "Honolulu", "968", "Pacific/Honolulu", 21.307, -157.857},
		{"ID", "Boise", "837", "America/Boise", 43.618, -116.200},
		{"IL", "Springfield", "627", "America/Chicago", 39.798, -89.654},
		{"IN", "Indianapolis", "462", "America/Indiana/Indianapolis", 39.768, -86.163},
		{"IA", "Des Moines", "503", "America/Chicago", 41.591, -93.604},
		{"KS", "Topeka", "666", "America/Chicago", 39.048, -95.678},
		{"KY", "Frankfort", "406", "America/New_York", 38.187, -84.875},
		{"LA", "Baton Rouge", "708", "America/Chicago", 30.457, -91.187},
		{"ME", "Augusta", "043", "America/New_York", 44.307, -69.782},
		{"MD", "Annapolis", "214", "America/New_York", 38.979, -76.491},
		{"MA", "Boston", "021", "America/New_York", 42.358, -71.064},
		{"MI", "Lansing", "489", "America/Detroit", 42.734, -84.555},
		{"MN", "Saint Paul", "551", "America/Chicago", 44.955, -93.102},
		{"MS", "Jackson", "392", "America/Chicago", 32.304, -90.182},
		{"MO", "Jefferson City", "651", "America/Chicago", 38.579, -92.173},
		{"MT", "Helena", "596", "America/Denver", 46.586, -112.018},
		{"NE", "Lincoln", "685", "America/Chicago", 40.808, -96.700},
		{"NV", "Carson City", "897", "America/Los_Angeles", 39.164, -119.766},
		{"NH", "Concord", "033", "America/New_York", 43.207, -71.538},
		{"NJ", "Trenton", "086", "America/New_York", 40.220, -74.770},
		{"NM", "Santa Fe", "875", "America/Denver", 35.682, -105.940},
		{"NY", "Albany", "122", "America/New_York", 42.653, -73.757},
		{"NC", "Raleigh", "276", "America/New_York", 35.780, -78.639},
		{"ND", "Bismarck", "585", "America/Chicago", 46.821, -100.783},
		{"OH", "Columbus", "432", "America/New_York", 39.961, -82.999},
		{"OK", "Oklahoma City", "731", "America/Chicago", 35.492, -97.503},
		{"OR", "Salem", "973", "America/Los_Angeles", 44.938, -123.030},
		{"PA", "Harrisburg", "171", "America/New_York", 40.264, -76.884},
		{"RI", "Providence", "029", "America/New_York", 41.831, -71.415},
		{"SC", "Columbia", "292", "America/New_York", 34.000, -81.033},
		{"SD", "Pierre", "575", "America/Chicago", 44.367, -100.346},
		{"TN", "Nashville", "372", "America/Chicago", 36.166, -86.784},
		{"TX", "Austin", "787", "America/Chicago", 30.275, -97.740},
		{"UT", "Salt Lake City", "841", "America/Denver", 40.777, -111.888},
		{"VT", "Montpelier", "056", "America/New_York", 44.262, -72.581},
		{"VA", "Richmond", "232", "America/New_York", 37.539, -77.434},
		{"WA", "Olympia", "985", "America/Los_Angeles", 47.036, -122.905},
		{"WV", "Charleston", "253", "America/New_York", 38.336, -81.612},
		{"WI", "Madison", "537", "America/Chicago", 43.075, -89.384},
		{"WY", "Cheyenne", "820", "America/Denver", 41.140, -104.820},
	}
}
