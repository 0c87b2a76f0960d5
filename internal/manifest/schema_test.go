package manifest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/envoy-plugin.schema.json")

// TestSchemaUpToDate fails when docs/envoy-plugin.schema.json differs from
// what the Go types generate. Refresh with:
// go test ./internal/manifest -run TestSchemaUpToDate -update
func TestSchemaUpToDate(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("..", "..", "docs", "envoy-plugin.schema.json")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/manifest -run TestSchemaUpToDate -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/envoy-plugin.schema.json is stale; run go test ./internal/manifest -run TestSchemaUpToDate -update")
	}
}

func TestSchemaShape(t *testing.T) {
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID         string                     `json:"$id"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
		AddProps   bool                       `json:"additionalProperties"`
		Defs       map[string]struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
			AllOf      []json.RawMessage          `json:"allOf"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != SchemaURL || s.AddProps {
		t.Errorf("$id %q, additionalProperties %v", s.ID, s.AddProps)
	}
	if len(s.Required) != 2 || s.Required[0] != "schema_version" || s.Required[1] != "plugin" {
		t.Errorf("top-level required: %v", s.Required)
	}
	for _, k := range []string{"schema_version", "plugin", "events", "steps"} {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("no property %s", k)
		}
	}
	// Every TOML key of every type is in the schema, so that editors never
	// flag a key that validate accepts.
	for name, v := range map[string]any{"Plugin": Plugin{}, "Event": Event{}, "Step": Step{}, "Field": Field{}} {
		_, keys := tomlFieldsOf(v)
		for _, k := range keys {
			if _, ok := s.Defs[name].Properties[k]; !ok {
				t.Errorf("%s.%s missing from the schema", name, k)
			}
		}
	}
	if len(s.Defs["Field"].AllOf) < len(FieldTypes()) || len(s.Defs["Step"].AllOf) != 2 {
		t.Errorf("per-type rules missing: field %d, step %d", len(s.Defs["Field"].AllOf), len(s.Defs["Step"].AllOf))
	}
}
