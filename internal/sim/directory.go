package sim

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/brianvoe/gofakeit/v7"
)

// FlowNames are the sign-in flows every simulated install has, in order.
// Visitor entries and invites use "Visitor"; employee screening uses
// "Employee registration".
var flowNames = []string{"Visitor", "Employee registration", "Contractor", "Interview", "Delivery"}

// SetDirectory fills in.Flows and in.Employees, the install's Envoy
// resources besides its location, company and zone. They derive from the
// install id alone, so that every command (send-event's relationships,
// install's resource_select choices) sees the same ids for one install.
func SetDirectory(in *Install) {
	if in == nil || in.InstallID == "" {
		return
	}
	company := "example.com"
	if n, ok := in.Company.Attributes["name"].(string); ok && n != "" {
		company = domainOf(n)
	}
	f := gofakeit.New(InstallSeed(in.InstallID + "/flows"))
	in.Flows = make([]Resource, len(flowNames))
	for i, n := range flowNames {
		in.Flows[i] = Resource{ID: fmt.Sprint(f.IntRange(100000, 999999)), Type: "flows", Attributes: map[string]any{"name": n}}
	}
	f = gofakeit.New(InstallSeed(in.InstallID + "/employees"))
	in.Employees = make([]Resource, 5)
	for i := range in.Employees {
		first, last := f.FirstName(), f.LastName()
		in.Employees[i] = Resource{ID: fmt.Sprint(f.IntRange(100000, 999999)), Type: "employees", Attributes: map[string]any{
			"name":  first + " " + last,
			"email": strings.ToLower(first+"."+last) + "@" + company,
		}}
	}
}

// Flow returns the install's flow called name, if the directory is set.
func (in *Install) Flow(name string) (Resource, bool) {
	for _, r := range in.Flows {
		if r.Attributes["name"] == name {
			return r, true
		}
	}
	return Resource{}, false
}

// EmployeeFor picks one of the install's employees for key (e.g. an entry
// id), the same one every time, without drawing from a seeded faker.
func (in *Install) EmployeeFor(key string) (Resource, bool) {
	if len(in.Employees) == 0 {
		return Resource{}, false
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return in.Employees[int(h.Sum32()%uint32(len(in.Employees)))], true
}

func domainOf(company string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(company) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "example.com"
	}
	return b.String() + ".com"
}

// Adopt makes in look like the simulated install whose id it carries: the
// location, company and zone derive from the install id (as in
// test-select and install), and so do its flows and employees. Ids then
// agree across commands whatever seed made the rest of the event.
func Adopt(in *Install) {
	if in == nil || in.InstallID == "" {
		return
	}
	fixed := NewInstall(gofakeit.New(InstallSeed(in.InstallID)), InstallOptions{PluginID: in.PluginID, InstallID: in.InstallID})
	in.Location, in.Company, in.Zone = fixed.Location, fixed.Company, fixed.Zone
	SetDirectory(in)
}
