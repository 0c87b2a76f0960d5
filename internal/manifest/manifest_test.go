package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// head is a valid start that cases append to.
const head = "schema_version = 1\n[plugin]\nname = \"P\"\nbase_url = \"http://localhost:3000\"\n"

// TestFindings checks each rule: what is found, where, and how severe.
// want holds "line:col severity message-fragment", one per finding, in
// order.
func TestFindings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"clean", head, nil},
		{"syntax error has line and col, and the rest is still checked", "schema_version = 1\n[plugin]\nname = \"x\nx = 1\n",
			[]string{"3:10 error TOML syntax: strings cannot contain newlines", `4:1 error unknown key "x" in [plugin]`}},
		{"a key lost on a broken line is not reported missing", "schema_version = 1\n[plugin]\nname = \"x\n",
			[]string{"3:10 error TOML syntax: strings cannot contain newlines"}},
		{"several syntax errors", "schema_version = 1\n[plugin]\nname = \"P\"\nlive = tru\n[[events]]\nname = \"entry_sign_in\"\nurl = /x\n",
			[]string{"4:8 error TOML syntax", "7:7 error TOML syntax"}},
		{"an unclosed header points at its own line; its keys are not read into the table above", "schema_version = 1\n[plugin]\nname = \"P\"\n[[steps]\ntype = \"wizard\"\n[[events]]\nname = \"entry_sign_in\"\nurl = \"x\"\n",
			[]string{"4:9 error TOML syntax: expected end of table array name delimiter", `8:7 error url "x" is not an http(s) URL`}},
		{"a broken multi-line array is skipped whole", "schema_version = 1\n[plugin]\nname = \"P\"\nscopes = [ \"a\" \"b\",\n  \"c\",\n]\nnmae = 1\n",
			[]string{"4:16 error TOML syntax: expected a comma", `7:1 error unknown key "nmae"`}},
		{"an array never closed stops at the next table", "schema_version = 1\n[plugin]\nname = \"P\"\nscopes = [ \"a\" \"b\",\n  \"c\",\n[[events]]\nname = \"entry_sign_in\"\nurl = \"x\"\n",
			[]string{"4:16 error TOML syntax: expected a comma", `8:7 error url "x" is not an http(s) URL`}},
		{"an unclosed multi-line string stops the recovery", "schema_version = 1\n[plugin]\nname = \"\"\"P\nnmae = 1\n",
			[]string{"4:9 error TOML syntax: unexpected EOF"}},
		{"invalid escape", "schema_version = 1\n[plugin]\nname = \"a\\qb\"\n",
			[]string{"3:9 error TOML syntax: invalid escape"}},
		{"missing schema_version", "[plugin]\nname = \"P\"\n",
			[]string{"1:1 error missing schema_version"}},
		{"unsupported schema_version", "schema_version = 7\n[plugin]\nname = \"P\"\n",
			[]string{"1:18 error unsupported schema_version 7"}},
		{"missing plugin", "schema_version = 1\n",
			[]string{"1:1 error missing [plugin] table"}},
		{"unknown key with suggestion", head + "nmae = \"x\"\n",
			[]string{`5:1 error unknown key "nmae" in [plugin] (did you mean "name"?)`}},
		{"unknown key without suggestion lists keys", head + "zzz = 1\n",
			[]string{`5:1 error unknown key "zzz" in [plugin] (valid keys here: name, description`}},
		{"key of another section", head + "[[steps]]\ntype = \"form\"\ntitle = \"F\"\n[[steps.fields]]\ntype = \"info\"\ntext = \"x\"\nvalidation_url = \"/v\"\n",
			[]string{`11:1 error unknown key "validation_url" in [[steps.fields]] (validation_url is a key of [[steps]]`}},
		{"wrong types", head + "live = \"yes\"\nscopes = [\"a\", 1]\n",
			[]string{`5:8 error live must be a boolean, not a string ("yes")`, `6:16 error each element of scopes must be a string, not an integer (1)`}},
		{"wrong type is not also empty", "schema_version = 1\n[plugin]\nname = 3\n",
			[]string{"3:8 error name must be a string, not an integer (3)"}},
		{"missing name points at the table", "schema_version = 1\n\n  [plugin]\ndescription = \"d\"\n",
			[]string{`3:3 error missing required key "name" in [plugin]`}},
		{"empty name", "schema_version = 1\n[plugin]\nname = \"  \"\n",
			[]string{"3:8 error name is empty"}},
		{"unknown step type", head + "[[steps]]\ntype = \"froms\"\ntitle = \"T\"\n",
			[]string{`6:8 error unknown step type "froms" (did you mean "form"?`}},
		{"unknown field type", head + "[[steps]]\ntype = \"form\"\ntitle = \"T\"\n[[steps.fields]]\ntype = \"txt\"\n",
			[]string{`9:8 error unknown field type "txt" (did you mean "text"?`}},
		{"relative URL without base_url", "schema_version = 1\n[plugin]\nname = \"P\"\n[[events]]\nname = \"entry_sign_in\"\nurl = \"/in\"\n",
			[]string{`6:7 error relative url "/in" needs plugin.base_url`}},
		{"relative URL with base_url", head + "[[events]]\nname = \"entry_sign_in\"\nurl = \"/in\"\n", nil},
		{"non-http URL", head + "[[events]]\nname = \"entry_sign_in\"\nurl = \"file:///etc/passwd\"\n",
			[]string{`7:7 error url "file:///etc/passwd" must use http or https, not file`}},
		{"bare host URL", head + "[[events]]\nname = \"entry_sign_in\"\nurl = \"example.com/x\"\n",
			[]string{`7:7 error url "example.com/x" is not an http(s) URL`}},
		{"duplicate event", head + "[[events]]\nname = \"entry_sign_in\"\nurl = \"/a\"\n[[events]]\nname = \"entry_sign_in\"\nurl = \"/b\"\n",
			[]string{`9:8 error duplicate subscription to "entry_sign_in" (already subscribed at line 6`}},
		{"unknown event is a warning", head + "[[events]]\nname = \"entry_signin\"\nurl = \"/a\"\n",
			[]string{`6:8 warning unknown event "entry_signin" (did you mean "entry_sign_in"?)`}},
		{"duplicate config key across steps", head +
			"[[steps]]\ntype = \"form\"\ntitle = \"A\"\n[[steps.fields]]\ntype = \"text\"\nkey = \"K\"\nlabel = \"K\"\n" +
			"[[steps]]\ntype = \"form\"\ntitle = \"B\"\n[[steps.fields]]\ntype = \"checkbox\"\nkey = \"K\"\nlabel = \"K\"\n",
			[]string{`17:7 error duplicate config key "K" (already used at line 10`}},
		{"paginated select without selected values", head + "[[steps]]\ntype = \"form\"\ntitle = \"A\"\n[[steps.fields]]\ntype = \"select\"\nkey = \"S\"\nlabel = \"S\"\noptions_url = \"/o\"\npagination = \"cursor\"\n",
			[]string{`13:14 error paginated select "S" has no selected_values_url`}},
		{"invalid pagination", head + "[[steps]]\ntype = \"form\"\ntitle = \"A\"\n[[steps.fields]]\ntype = \"select\"\nkey = \"S\"\nlabel = \"S\"\noptions_url = \"/o\"\npagination = \"paged\"\n",
			[]string{`13:14 error invalid pagination "paged" (did you mean "page"?`}},
		{"oauth2 without validation_url", head + "[[steps]]\ntype = \"oauth2\"\ntitle = \"O\"\nauthorize_url = \"/a\"\ntoken_url = \"/t\"\nclient_id = \"c\"\n",
			[]string{`5:1 warning oauth2 step "O" has no validation_url`}},
		{"popup without validation_url", head + "[[steps]]\ntype = \"popup\"\ntitle = \"P\"\ncontent_url = \"/p\"\n",
			[]string{`5:1 warning popup step "P" has no validation_url`}},
		{"mapping without target", head + "[[steps]]\ntype = \"form\"\ntitle = \"A\"\n  [[steps.fields]]\n  type = \"mapping\"\n  key = \"M\"\n  label = \"M\"\n  options_url = \"/o\"\n",
			[]string{`8:3 error mapping "M" has no target`}},
		{"key not used by the type", head + "[[steps]]\ntype = \"popup\"\ntitle = \"P\"\ncontent_url = \"/p\"\nvalidation_url = \"/v\"\nclient_id = \"x\"\n",
			[]string{`10:1 warning client_id is not used by a popup step`}},
		{"zero values of unused keys are fine", head + "[[steps]]\ntype = \"popup\"\ntitle = \"P\"\ncontent_url = \"/p\"\nvalidation_url = \"/v\"\nclient_id = \"\"\nfields = []\n", nil},
		{"inline tables have positions", "schema_version = 1\nplugin = { name = \"P\", base_url = \"http://localhost:3000\" }\nsteps = [{ type = \"form\", title = \"A\", fields = [{ type = \"text\", key = \"K\", label = \"L\", pagination = \"x\" }] }]\n",
			[]string{`3:91 warning pagination is not used by a text field`, `3:104 error invalid pagination "x"`}},
		{"a bad element keeps the others' indices", "schema_version = 1\nevents = [1, { name = \"entry_sign_in\" }]\n" + head[19:] + "scopes = [2, \"\"]\n",
			[]string{"2:11 error each element of events must be a table", `2:14 error missing required key "url" in [[events]]`,
				"6:11 error each element of scopes must be a string", "6:14 error empty API scope"}},
		{"CRLF line endings", strings.ReplaceAll(head+"live = 1\n", "\n", "\r\n"),
			[]string{"5:8 error live must be a boolean, not an integer (1)"}},
		{"byte order mark", "\ufeff" + head + "nmae = 1\n",
			[]string{`5:1 error unknown key "nmae" in [plugin]`}},
		{"dotted keys have positions", "schema_version = 1\nplugin.name = \"P\"\nplugin.live = 3\n",
			[]string{"3:15 error live must be a boolean, not an integer (3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := Parse("m.toml", []byte(tt.src))
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%d:%d %s %s", f.Line, f.Col, f.Severity, f.Message)+hintSuffix(f))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("finding %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
				if fs[i].File != "m.toml" {
					t.Errorf("finding %d: file %q", i, fs[i].File)
				}
			}
		})
	}
}

func hintSuffix(f Finding) string {
	if f.Hint == "" {
		return ""
	}
	return " (" + f.Hint + ")"
}

// TestValidManifests: every fixture under testdata/manifests is clean.
func TestValidManifests(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "manifests", "*.toml"))
	if len(files) < 3 {
		t.Fatalf("found only %d valid fixtures", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m, fs, err := Load(file)
			if err != nil || len(fs) > 0 {
				t.Fatalf("err %v, findings %v", err, fs)
			}
			if m.Path != file || m.SchemaVersion != 1 || m.Plugin.Name == "" {
				t.Fatalf("decoded %+v", m)
			}
		})
	}
}

// TestFullFixtureCoversEveryType keeps full.toml honest.
func TestFullFixtureCoversEveryType(t *testing.T) {
	m, _, err := Load(filepath.Join("..", "..", "testdata", "manifests", "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	steps, fields, targets := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range m.Steps {
		steps[string(s.Type)] = true
		for _, f := range s.Fields {
			fields[string(f.Type)] = true
			if f.Target != nil {
				targets[string(f.Target.Type)] = true
			}
		}
	}
	for _, s := range StepTypes() {
		if !steps[s] {
			t.Errorf("no %s step", s)
		}
	}
	for _, f := range FieldTypes() {
		if !fields[f] {
			t.Errorf("no %s field", f)
		}
	}
	for _, tt := range []string{"text", "select", "resource_select", "checkbox"} {
		if !targets[tt] {
			t.Errorf("no mapping target of type %s", tt)
		}
	}
	// Decoded values land in the right fields.
	f := m.Steps[0].Fields[5]
	if f.Key != "PAGED" || f.Pagination != PaginationPage || !f.Searchable || !f.Multiple || !reflect.DeepEqual(f.Default, []any{"a", "b"}) {
		t.Errorf("PAGED decoded as %+v", f)
	}
	if d := m.Defaults(); d["GREETING"] != "Hello" || d["NOTIFY"] != false {
		t.Errorf("defaults %v", d)
	}
	if u, _, _ := m.EventURL("entry_sign_in"); u != "http://localhost:3000/entry-sign-in" {
		t.Errorf("event URL %q", u)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "nope.toml")); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte("schema_version = 1\n[plugin]\nname = 1\nlive = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, fs, err := Load(p)
	merr, ok := err.(*Error)
	if m != nil || !ok || len(fs) != 1 || len(merr.Findings) != 1 || !strings.Contains(err.Error(), p+":3:8: error: name must be a string") {
		t.Fatalf("m=%v fs=%v err=%v", m, fs, err)
	}
}

func TestPositions(t *testing.T) {
	src := `# comment [not.a.table]
a = """
[[fake]]
b = 1"""
c = '''x
'''
"quoted.key" = 1
d = [
  1, # comment
  [2, 3],
  { e = "}", f = { g = 1 } },
]
date = 1979-05-27 07:32:00Z
after_date = 1
[[t]]
x = 1
[[t]]
x = 2
  [[t.u]]
  y = 1
  [t.u.v]
  z = 1
[[t]]
[s . 'w x']
k = "v"
`
	p := scanPositions([]byte(src))
	want := map[string]Pos{
		"a":                 {2, 5},
		"c":                 {5, 5},
		`"quoted.key"`:      {7, 16},
		"d":                 {8, 5},
		"d[0]":              {9, 3},
		"d[1]":              {10, 3},
		"d[1][1]":           {10, 7},
		"d[2]":              {11, 3},
		"d[2].e":            {11, 9},
		"d[2].f.g":          {11, 24},
		"date":              {13, 8},
		"after_date":        {14, 14},
		"t[0]":              {15, 1},
		"t[0].x":            {16, 5},
		"t[1].x":            {18, 5},
		"t[1].u[0]":         {19, 3},
		"t[1].u[0].y":       {20, 7},
		"t[1].u[0].v":       {21, 3},
		"t[1].u[0].v.z":     {22, 7},
		"t[2]":              {23, 1},
		`s."w x"`:           {24, 1},
		`s."w x".k`:         {25, 5},
		"t[1].u[0].missing": {19, 3}, // falls back to the closest table
	}
	for path, w := range want {
		if got := p.valPos(path); got != w {
			t.Errorf("%s: got %v, want %v", path, got, w)
		}
	}
	if got := p.keyPos("t[1].x"); got != (Pos{18, 1}) {
		t.Errorf("key pos of t[1].x: %v", got)
	}
	if _, ok := p.key["fake"]; ok {
		t.Error("a header inside a multi-line string was taken for a table")
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"a":               "",
		"a.b":             "a",
		"a[1]":            "a",
		"a[1].b":          "a[1]",
		`a."b.c"`:         "a",
		`"b.c"`:           "",
		`a."x\"y"`:        "a",
		"steps[0].fields": "steps[0]",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"name", "description", "base_url", "live"}
	for in, want := range map[string]string{
		"nmae":       "name",
		"Name":       "name",
		"baseurl":    "base_url",
		"descripton": "description",
		"lvie":       "live",
		"zzz":        "",
		"url":        "",
	} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScaffold(t *testing.T) {
	names := []string{"Hello World", `Quotes " and \ backslash`, "Ünïcödé 🎉", "tab\there"}
	steps := []StepType{"", StepForm, StepOAuth2, StepPopup}
	for i, name := range names {
		for _, step := range steps {
			o := ScaffoldOptions{Name: name, Description: "d \"q\"", BaseURL: "http://localhost:3000", Step: step,
				Events: []Event{{Name: "entry_sign_in", URL: "/entry-sign-in"}, {Name: "invite_created", URL: "https://x.example.com/i"}}}
			if i%2 == 1 {
				o.Description, o.Events = "", nil
			}
			src := Scaffold(o)
			if !strings.HasPrefix(string(src), SchemaDirective+"\n") {
				t.Fatalf("no #:schema first line:\n%s", src)
			}
			m, fs := Parse("x.toml", src)
			if len(fs) > 0 {
				t.Fatalf("scaffold(%q, %q) has findings %v:\n%s", name, step, fs, src)
			}
			if m.Plugin.Name != name || m.Plugin.Description != o.Description || len(m.Events) != len(o.Events) {
				t.Fatalf("round trip: %+v", m.Plugin)
			}
			if step != "" && (len(m.Steps) != 1 || m.Steps[0].Type != step) {
				t.Fatalf("step %q: %+v", step, m.Steps)
			}
			if step == StepOAuth2 && !strings.Contains(string(src), OAuthCallbackURL(DefaultCallbackPort)) {
				t.Fatal("the oauth2 scaffold does not show the callback URL")
			}
		}
	}
}

func TestValidators(t *testing.T) {
	for _, tt := range []struct {
		fn   func(string) error
		in   string
		okay bool
	}{
		{ValidateName, "Hello", true},
		{ValidateName, "  ", false},
		{ValidateName, "a\nb", false},
		{ValidateBaseURL, "http://localhost:3000", true},
		{ValidateBaseURL, "https://x.example.com/base", true},
		{ValidateBaseURL, "localhost:3000", false},
		{ValidateBaseURL, "/relative", false},
		{ValidateBaseURL, "ftp://x", false},
		{ValidateEndpoint, "/entry-sign-in", true},
		{ValidateEndpoint, "https://x.example.com/in", true},
		{ValidateEndpoint, "//cdn/x", false},
		{ValidateEndpoint, "entry", false},
		{ValidateEndpoint, "/a b", false},
	} {
		if err := tt.fn(tt.in); (err == nil) != tt.okay {
			t.Errorf("%q: err %v, want ok=%v", tt.in, err, tt.okay)
		}
	}
	if DefaultEventPath("entry_sign_in") != "/entry-sign-in" {
		t.Error(DefaultEventPath("entry_sign_in"))
	}
	if OAuthCallbackURL(8765) != "http://127.0.0.1:8765/oauth2/callback" {
		t.Error(OAuthCallbackURL(8765))
	}
}

func TestPos(t *testing.T) {
	m, _ := Parse("m.toml", []byte(head+"live = true\n"))
	if l, c := m.Pos("plugin.live"); l != 5 || c != 8 {
		t.Fatalf("plugin.live at %d:%d", l, c)
	}
	if l, c := m.Pos("plugin.nothing"); l != 2 || c != 1 {
		t.Fatalf("unknown key falls back to its table: %d:%d", l, c)
	}
	var empty Manifest
	if l, c := empty.Pos("x"); l != 1 || c != 1 {
		t.Fatalf("a manifest not parsed from a file: %d:%d", l, c)
	}
}

// TestReadFileRefusesNonFiles: a device, a folder or a huge file is an
// error, never an endless read.
func TestReadFileRefusesNonFiles(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.toml")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	for _, tt := range []struct{ path, want string }{
		{os.DevNull, "not a regular file"},
		{t.TempDir(), "not a regular file"},
		{big, "too big"},
	} {
		if _, err := ReadFile(tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadFile(%s) = %v, want %q", tt.path, err, tt.want)
		}
		if _, _, err := Load(tt.path); err == nil {
			t.Errorf("Load(%s) succeeded", tt.path)
		}
	}
}
