package build

import "testing"

func TestResolveLdflagsWin(t *testing.T) {
	i := Resolve("v1.4.0", "0123456789abcdef", "2026-11-27T10:00:00Z", "goreleaser")
	if i.Version != "v1.4.0" || i.Commit != "0123456789abcdef" || i.BuiltBy != "goreleaser" {
		t.Fatalf("%+v", i)
	}
	if got, want := i.String(), "v1.4.0 (0123456789ab, 2026-11-27T10:00:00Z)"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if got := i.UserAgent(); got != "envoy-plugin/v1.4.0" {
		t.Fatalf("UserAgent() = %q", got)
	}
}

func TestResolveFallsBackToBuildInfo(t *testing.T) {
	// A test binary has no module version: "dev", never empty.
	if i := Resolve("", "", "", ""); i.Version == "" {
		t.Fatal("empty version")
	}
	if got := (Info{Version: "dev"}).String(); got != "dev" {
		t.Fatalf("String() = %q", got)
	}
}

func TestResolveHidesReleasePlaceholders(t *testing.T) {
	i := Resolve("0.0.1-next", "none", "0001-01-01T00:00:00Z", "goreleaser")
	if got := i.String(); got != "0.0.1-next" {
		t.Fatalf("String() = %q", got)
	}
}
