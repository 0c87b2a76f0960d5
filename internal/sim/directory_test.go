package sim

import (
	"testing"

	"github.com/brianvoe/gofakeit/v7"
)

func TestAdoptDerivesEverythingFromTheInstallID(t *testing.T) {
	a := NewInstall(gofakeit.New(1), InstallOptions{InstallID: "inst-1", PluginID: "p"})
	b := NewInstall(gofakeit.New(99), InstallOptions{InstallID: "inst-1", PluginID: "p"})
	Adopt(a)
	Adopt(b)
	if a.Location.ID != b.Location.ID || a.Company.ID != b.Company.ID || a.Zone.ID != b.Zone.ID {
		t.Fatalf("seed leaked into adopted ids: %s/%s vs %s/%s", a.Location.ID, a.Company.ID, b.Location.ID, b.Company.ID)
	}
	if len(a.Flows) != len(flowNames) || len(a.Employees) == 0 {
		t.Fatalf("directory not set: %d flows, %d employees", len(a.Flows), len(a.Employees))
	}
	for i := range a.Flows {
		if a.Flows[i].ID != b.Flows[i].ID {
			t.Fatalf("flow %d differs", i)
		}
	}
	c := NewInstall(gofakeit.New(1), InstallOptions{InstallID: "inst-2"})
	Adopt(c)
	if c.Location.ID == a.Location.ID && c.Flows[0].ID == a.Flows[0].ID {
		t.Fatal("two installs share their ids")
	}
	if f, ok := a.Flow("Visitor"); !ok || f.ID != a.Flows[0].ID {
		t.Fatalf("Flow(Visitor) = %v, %v", f, ok)
	}
	e1, _ := a.EmployeeFor("entry-7")
	e2, _ := b.EmployeeFor("entry-7")
	if e1.ID != e2.ID || e1.Attributes["name"] == "" {
		t.Fatalf("EmployeeFor is not stable: %v vs %v", e1, e2)
	}
	// A throwaway install (no id) gets no directory.
	d := NewInstall(gofakeit.New(1), InstallOptions{})
	d.InstallID = ""
	Adopt(d)
	if len(d.Flows) != 0 {
		t.Fatal("directory without an install id")
	}
}
