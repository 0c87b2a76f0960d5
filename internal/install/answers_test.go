package install

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

func TestParseAnswers(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		values  map[string]any
		steps   map[string]map[string]any
		wantErr string
	}{
		{
			name: "values and step tables",
			in: `GREETING = "Hi"
NOTIFY_HOST = false
COUNT = 3
LOCATIONS = ["1", "2"]
VISITOR_TYPE_MAP = { visitor = "badge-blue" }

[steps."Connect Acme"]
access_token = "at"
expires_in = 3600

[steps."Pick a room"]
ROOM = "101"
`,
			values: map[string]any{"GREETING": "Hi", "NOTIFY_HOST": false, "COUNT": int64(3), "LOCATIONS": []any{"1", "2"}, "VISITOR_TYPE_MAP": map[string]any{"visitor": "badge-blue"}},
			steps:  map[string]map[string]any{"Connect Acme": {"access_token": "at", "expires_in": int64(3600)}, "Pick a room": {"ROOM": "101"}},
		},
		{name: "empty", in: "", values: map[string]any{}, steps: map[string]map[string]any{}},
		{name: "array of tables", in: "[[X]]\na = 1\n[[X]]\na = 2\n", values: map[string]any{"X": []any{map[string]any{"a": int64(1)}, map[string]any{"a": int64(2)}}}, steps: map[string]map[string]any{}},
		{name: "syntax error has a line", in: "A = 1\nB = \n", wantErr: "line 2"},
		{name: "date refused", in: "D = 2026-01-02\n", wantErr: "TOML dates"},
		{name: "nan refused", in: "N = nan\n", wantErr: "finite"},
		{name: "steps not a table", in: "steps = 1\n", wantErr: "table of step tables"},
		{name: "step not a table", in: "[steps]\nx = 1\n", wantErr: `steps."x" must be a table`},
		{name: "nested date in step", in: "[steps.\"A\"]\nwhen = 2026-01-02T10:00:00Z\n", wantErr: "TOML dates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAnswers([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Values, tt.values) {
				t.Errorf("values = %#v\nwant %#v", a.Values, tt.values)
			}
			if !reflect.DeepEqual(a.Steps, tt.steps) {
				t.Errorf("steps = %#v\nwant %#v", a.Steps, tt.steps)
			}
		})
	}
}

func TestAnswersCheck(t *testing.T) {
	m := &manifest.Manifest{Steps: []manifest.Step{
		{Type: manifest.StepForm, Title: "Greetings", Fields: []manifest.Field{{Type: manifest.FieldText, Key: "GREETING"}, {Type: manifest.FieldInfo, Text: "hi"}}},
		{Type: manifest.StepOAuth2, Title: "Connect Acme"},
	}}
	tests := []struct {
		in      string
		wantErr string
	}{
		{"GREETING = \"x\"\n[steps.\"Connect Acme\"]\naccess_token = \"a\"\n", ""},
		{"GRETING = \"x\"\n", "unknown key GRETING: no form field has it (did you mean GREETING?)"},
		{"ZZZZZZZZZZZZ = 1\n", "(keys: GREETING)"},
		{"[steps.\"Conect Acme\"]\na = 1\n", `unknown step "Conect Acme" in [steps] (did you mean "Connect Acme"?)`},
		{"[steps.\"Greetings\"]\nGREETING = \"x\"\n", "is a form step"},
	}
	for _, tt := range tests {
		a, err := ParseAnswers([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		err = a.Check(m)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

// TestAnswerFixtures parses every answers file under testdata/answers.
func TestAnswerFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "answers", "*.toml"))
	if len(files) == 0 {
		t.Skip("no fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseAnswers(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParseAnswers: any input either parses into JSON-encodable values or
// fails with an error; it never panics.
func FuzzParseAnswers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "answers", "*.toml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("A = 1\n[steps.\"x\"]\nb = [1, 2.5, \"c\", {d = true}]\n"))
	f.Add([]byte("steps = []\n"))
	f.Add([]byte("x = inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAnswers(data)
		if err != nil {
			return
		}
		if _, err := json.Marshal(a.Values); err != nil {
			t.Fatalf("values not JSON-encodable: %v", err)
		}
		if _, err := json.Marshal(a.Steps); err != nil {
			t.Fatalf("steps not JSON-encodable: %v", err)
		}
	})
}
