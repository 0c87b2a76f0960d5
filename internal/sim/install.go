package sim

import (
	"fmt"
	"hash/fnv"
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
	addr := f.Address()
	tz := "America/Los_Angeles"
	locID := fmt.Sprint(f.IntRange(1000, 99999))
	companyID := fmt.Sprint(f.IntRange(1000, 99999))
	zoneID := fmt.Sprint(f.IntRange(100, 9999))
	in := &Install{
		PluginID:  o.PluginID,
		InstallID: o.InstallID,
		Config:    o.Config,
		Location: Resource{ID: locID, Type: "locations", Attributes: map[string]any{
			"name":             addr.City + " HQ",
			"timezone":         tz,
			"address":          fmt.Sprintf("%s, %s, %s %s", addr.Street, addr.City, addr.State, addr.Zip),
			"address-line-one": addr.Street,
			"city":             addr.City,
			"state":            addr.State,
			"zip":              addr.Zip,
			"country":          addr.Country,
			"latitude":         addr.Latitude,
			"longitude":        addr.Longitude,
			"created-at":       created,
		}},
		Company: Resource{ID: companyID, Type: "companies", Attributes: map[string]any{
			"name":       f.Company(),
			"active":     true,
			"created-at": created,
		}},
		Zone: Resource{ID: zoneID, Type: "zones", Attributes: map[string]any{
			"name":      "Floor " + fmt.Sprint(f.IntRange(1, 30)),
			"address":   fmt.Sprintf("%s, %s", addr.Street, addr.City),
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
