package install

import (
	"fmt"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// TestResourceChoicesAgreeWithEvents: the ids a resource_select offers for
// a simulated install are the ones send-event puts in events for it
// (location in meta and relationships, the Visitor / Employee registration
// flow, the host or employee), whatever seed made the event.
func TestResourceChoicesAgreeWithEvents(t *testing.T) {
	st := &simstate.Install{PluginID: "plugin-1", InstallID: "inst-agree"}
	route := RouteInstall(st, nil)
	ids := func(kind string) map[string]string {
		opts, err := Resources(route, kind)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range opts {
			out[fmt.Sprint(o.Value)] = o.Label
		}
		return out
	}
	locations, flows, employees := ids("locations"), ids("flows"), ids("employees")

	for _, seed := range []uint64{1, 2, 3} {
		gen := events.NewGenerator(seed, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
		in := gen.Install(sim.InstallOptions{PluginID: st.PluginID, InstallID: st.InstallID})
		sim.Adopt(in) // what send-event does with a simulated install
		for _, tc := range []struct {
			event    string
			v        events.Variant
			flow     string
			employee string // relationship holding a directory employee
		}{
			{"entry_sign_in", events.Variant{With: []string{"host"}}, "Visitor", "employee"},
			{"employee_entry_sign_in", events.Variant{}, "Employee registration", "employee"},
			{"invite_created", events.Variant{With: []string{"host"}}, "Visitor", "employee"},
			{"employee_invite_created", events.Variant{}, "Employee registration", "invitee-employee"},
		} {
			body, err := gen.Event(tc.event, in, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			meta := body["meta"].(map[string]any)
			payload := body["payload"].(map[string]any)
			rel := payload["relationships"].(map[string]any)
			relID := func(k string) string {
				r, ok := rel[k].(map[string]any)
				if !ok {
					t.Fatalf("%s: no %s relationship", tc.event, k)
				}
				return r["data"].(map[string]any)["id"].(string)
			}
			if loc := meta["location"].(map[string]any)["id"]; locations[loc.(string)] == "" {
				t.Errorf("seed %d %s: meta.location.id %v is not a resource_select location", seed, tc.event, loc)
			}
			if id := relID("flow"); flows[id] != tc.flow {
				t.Errorf("seed %d %s: flow %s is %q among install's flows, want %q", seed, tc.event, id, flows[id], tc.flow)
			}
			if id := relID(tc.employee); employees[id] == "" {
				t.Errorf("seed %d %s: %s %s is not one of the install's employees %v", seed, tc.event, tc.employee, id, employees)
			}
		}
	}
}
