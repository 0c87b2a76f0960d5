package install

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// InstallSeed derives the fake-data seed of an install from its id, so that
// the location, company and zone of a simulated install are the same in
// every command and on every run.
func InstallSeed(installID string) uint64 { return sim.InstallSeed(installID) }

// RouteInstall is what route requests carry for a simulated install: its
// ids and config come from the store, its location, company and zone from
// InstallSeed. auth is meta.auth (nil when the plugin asks for no scopes).
func RouteInstall(st *simstate.Install, auth *sim.Auth) *sim.Install {
	cfg := map[string]any{}
	maps.Copy(cfg, st.Config)
	in := sim.NewInstall(gofakeit.New(InstallSeed(st.InstallID)), sim.InstallOptions{
		PluginID: st.PluginID, InstallID: st.InstallID, Config: cfg,
	})
	in.Auth = auth
	sim.SetDirectory(in)
	return in
}

// Resource kinds a resource_select can name, with how their fake records
// are made. The install's own location is always the first location.
var resourceKinds = []string{"locations", "flows", "employees", "visitor_types", "zones", "companies"}

// Resources returns the choices of a resource_select field: the simulated
// install's Envoy resources of that kind. Ids agree with the meta of route
// requests and events for the same install (its location, zone and
// company); the others are fake records derived from the install id.
func Resources(in *sim.Install, kind string) ([]Option, error) {
	k := strings.ToLower(strings.TrimSpace(kind))
	f := gofakeit.New(InstallSeed(in.InstallID + "/" + k))
	name := func(r sim.Resource) string {
		if n, ok := r.Attributes["name"].(string); ok && n != "" {
			return n
		}
		return r.ID
	}
	var out []Option
	switch k {
	case "locations", "location":
		out = append(out, Option{Label: name(in.Location), Value: in.Location.ID})
		for i := 0; i < 2; i++ {
			out = append(out, Option{Label: f.City() + " Office", Value: fmt.Sprint(f.IntRange(100000, 999999))})
		}
	case "flows", "flow":
		// The same flows and employees as send-event's relationships.
		if len(in.Flows) == 0 {
			sim.SetDirectory(in)
		}
		for _, r := range in.Flows {
			out = append(out, Option{Label: name(r), Value: r.ID})
		}
	case "employees", "employee":
		if len(in.Employees) == 0 {
			sim.SetDirectory(in)
		}
		for _, r := range in.Employees {
			out = append(out, Option{Label: name(r), Value: r.ID})
		}
	case "visitor_types", "visitor-types":
		for _, n := range []string{"Visitor", "Guest", "Vendor", "Candidate"} {
			out = append(out, Option{Label: n, Value: strings.ToLower(n)})
		}
	case "zones", "zone":
		out = append(out, Option{Label: name(in.Zone), Value: in.Zone.ID})
	case "companies", "company":
		out = append(out, Option{Label: name(in.Company), Value: in.Company.ID})
	default:
		kinds := append([]string(nil), resourceKinds...)
		sort.Strings(kinds)
		return nil, fmt.Errorf("unknown resource %q; the simulated install has %s", kind, strings.Join(kinds, ", "))
	}
	return out, nil
}
