package cmd

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

// initFactory returns a factory for init tests; tty makes stdin and stdout
// terminals, so that the (fake) prompter is used.
func initFactory(t *testing.T, tty bool, p *fakePrompter) (*Factory, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	f := NewFactory(ios, build.Info{Version: "v0.0.0-test"})
	f.Getenv = func(string) string { return "" }
	wd := t.TempDir()
	f.Getwd = func() (string, error) { return wd, nil }
	if p != nil {
		f.Prompter = p.Prompter()
	} else {
		f.Prompter = newFakePrompter(t).Prompter() // any prompt fails the test
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
	return f, errOut
}

func TestNewCmdInit(t *testing.T) {
	tests := []struct {
		name string
		args []string
		tty  bool
		code int
		err  string
		want *initOptions
	}{
		{name: "flags", args: []string{"init", "dir", "--name", "Hello", "--description", "D", "--base-url", "http://127.0.0.1:8080", "--event", "entry_sign_in=/in", "--event", "invite_created", "--step", "oauth2", "--force"},
			want: &initOptions{Dir: "dir", Name: "Hello", Description: "D", BaseURL: "http://127.0.0.1:8080", EventFlags: []string{"entry_sign_in=/in", "invite_created"}, Step: "oauth2", Force: true,
				NameSet: true, DescriptionSet: true, BaseURLSet: true, StepSet: true}},
		{name: "defaults", args: []string{"init", "--name", "X"},
			want: &initOptions{Dir: ".", Name: "X", BaseURL: defaultBaseURL, NameSet: true}},
		{name: "no name without a terminal", args: []string{"init"}, code: 2, err: "--name is required when not running interactively"},
		{name: "no name with --no-input", args: []string{"init", "--no-input"}, tty: true, code: 2, err: "--name is required"},
		{name: "no name on a terminal is asked for", args: []string{"init"}, tty: true,
			want: &initOptions{Dir: ".", BaseURL: defaultBaseURL}},
		{name: "empty name", args: []string{"init", "--name", " "}, code: 2, err: "invalid --name"},
		{name: "bad step", args: []string{"init", "--name", "X", "--step", "wizard"}, code: 2, err: `invalid --step "wizard"`},
		{name: "bad base url", args: []string{"init", "--name", "X", "--base-url", "localhost:3000"}, code: 2, err: "invalid --base-url"},
		{name: "bad event path", args: []string{"init", "--name", "X", "--event", "entry_sign_in=in"}, code: 2, err: `invalid --event "entry_sign_in=in"`},
		{name: "event without name", args: []string{"init", "--name", "X", "--event", "=/in"}, code: 2, err: "give the event's name"},
		{name: "event twice", args: []string{"init", "--name", "X", "--event", "entry_sign_in", "--event", "entry_sign_in=/x"}, code: 2, err: "given twice"},
		{name: "two dirs", args: []string{"init", "a", "b", "--name", "X"}, code: 2, err: "too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			ios.SetStdinTTY(tt.tty)
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			f := NewFactory(ios, build.Info{})
			f.Getenv = func(string) string { return "" }
			var got *initOptions
			root := NewRootCmd(f)
			// Swap the real init for one that captures its options.
			for _, c := range root.Commands() {
				if c.Name() == "init" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdInit(f, func(o *initOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			c, err := root.ExecuteC()
			code := ExitOK
			if err != nil {
				code = handleError(f, c, err)
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			if tt.err != "" && !strings.Contains(errOut.String(), tt.err) {
				t.Fatalf("stderr %q lacks %q", errOut, tt.err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("options\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func readManifest(t *testing.T, path string) *manifest.Manifest {
	t.Helper()
	m, fs, err := manifest.Load(path)
	if err != nil || len(fs) > 0 {
		t.Fatalf("%s: err %v, findings %v", path, err, fs)
	}
	return m
}

func TestInitNonInteractive(t *testing.T) {
	noCredentialsInEnv(t)
	f, _ := initFactory(t, false, nil)
	dir := filepath.Join(t.TempDir(), "new", "plugin")
	code := Run([]string{"init", dir, "--name", `Hello "World"`, "--event", "entry_sign_out", "--event", "invite_created=https://x.example.com/i", "--step", "form"}, f)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	m := readManifest(t, filepath.Join(dir, manifest.FileName))
	if m.Plugin.Name != `Hello "World"` || m.Plugin.BaseURL != defaultBaseURL || m.Plugin.Live {
		t.Fatalf("plugin %+v", m.Plugin)
	}
	want := []manifest.Event{{Name: "entry_sign_out", URL: "/entry-sign-out"}, {Name: "invite_created", URL: "https://x.example.com/i"}}
	if !reflect.DeepEqual(m.Events, want) {
		t.Fatalf("events %+v", m.Events)
	}
	if len(m.Steps) != 1 || m.Steps[0].Type != manifest.StepForm || m.Steps[0].Fields[0].Type != manifest.FieldSelect {
		t.Fatalf("steps %+v", m.Steps)
	}
	src, _ := os.ReadFile(filepath.Join(dir, manifest.FileName))
	if !strings.HasPrefix(string(src), manifest.SchemaDirective+"\n") || !strings.Contains(string(src), "# ") {
		t.Fatalf("no #:schema line or comments:\n%s", src)
	}
	// The credentials are there, and git ignores them.
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil || !strings.Contains(string(env), "ENVOY_CLIENT_ID=") || !strings.Contains(string(env), "ENVOY_CLIENT_SECRET=") {
		t.Fatalf(".env: %v %q", err, env)
	}
	if gi, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err != nil || !strings.Contains(string(gi), ".env") {
		t.Fatalf(".gitignore: %v %q", err, gi)
	}

	// A second init refuses to overwrite, and leaves the file alone.
	f2, errOut2 := initFactory(t, false, nil)
	if code := Run([]string{"init", dir, "--name", "Other"}, f2); code != 1 || !strings.Contains(errOut2.String(), "already exists; pass --force") {
		t.Fatalf("overwrite without --force: exit %d, %s", code, errOut2)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, manifest.FileName)); string(again) != string(src) {
		t.Fatal("the manifest changed without --force")
	}

	// --force overwrites; the credentials are kept.
	f3, _ := initFactory(t, false, nil)
	if code := Run([]string{"init", dir, "--name", "Other", "--force"}, f3); code != 0 {
		t.Fatalf("--force: exit %d", code)
	}
	m = readManifest(t, filepath.Join(dir, manifest.FileName))
	if m.Plugin.Name != "Other" || len(m.Events) != 1 || m.Events[0].Name != "entry_sign_in" || len(m.Steps) != 0 {
		t.Fatalf("after --force: %+v %+v", m.Plugin, m.Events)
	}
	if env2, _ := os.ReadFile(filepath.Join(dir, ".env")); string(env2) != string(env) {
		t.Fatal("init --force replaced existing credentials")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestInitInteractive(t *testing.T) {
	noCredentialsInEnv(t)
	p := newFakePrompter(t).
		Input("Plugin name", "bad\x01").    // refused: a control character
		Input("Plugin name", "My Plugin "). // trimmed
		Input("Description", "Does things").
		Input("Base URL", "localhost:8080"). // refused: no scheme
		Input("Base URL", "http://localhost:8080").
		Multi("Events", []string{"entry_sign_in", "invite_created"}).
		Input("Worker URL for entry_sign_in", useDefault).
		Input("Worker URL for invite_created", "invites"). // refused: not a path
		Input("Worker URL for invite_created", "/invites").
		Select("first setup step", "oauth2")
	f, _ := initFactory(t, true, p)
	dir := t.TempDir()
	if code := Run([]string{"init", dir}, f); code != 0 {
		t.Fatalf("exit %d; asked %v", code, p.Asked)
	}
	p.Verify()
	if len(p.Refused) != 3 {
		t.Fatalf("refused answers: %v", p.Refused)
	}
	m := readManifest(t, filepath.Join(dir, manifest.FileName))
	if m.Plugin.Name != "My Plugin" || m.Plugin.Description != "Does things" || m.Plugin.BaseURL != "http://localhost:8080" {
		t.Fatalf("plugin %+v", m.Plugin)
	}
	want := []manifest.Event{{Name: "entry_sign_in", URL: "/entry-sign-in"}, {Name: "invite_created", URL: "/invites"}}
	if !reflect.DeepEqual(m.Events, want) {
		t.Fatalf("events %+v", m.Events)
	}
	if len(m.Steps) != 1 || m.Steps[0].Type != manifest.StepOAuth2 {
		t.Fatalf("steps %+v", m.Steps)
	}
	// The name's default is the folder's name, shown in the title; the
	// input starts empty, so that typing does not append to the default.
	if !strings.Contains(p.Asked[0], "Plugin name ["+filepath.Base(dir)+"]") || !strings.HasSuffix(p.Asked[0], "()") {
		t.Fatalf("name default: %s", p.Asked[0])
	}
}

func TestInitInteractiveAsksOnlyWhatFlagsLeaveOut(t *testing.T) {
	noCredentialsInEnv(t)
	p := newFakePrompter(t).
		Input("Description", "").
		Input("Base URL", useDefault)
	f, _ := initFactory(t, true, p)
	dir := t.TempDir()
	if code := Run([]string{"init", dir, "--name", "N", "--event", "plugin_uninstalled", "--step", "none"}, f); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p.Verify()
	m := readManifest(t, filepath.Join(dir, manifest.FileName))
	if m.Plugin.Name != "N" || m.Plugin.BaseURL != defaultBaseURL || len(m.Events) != 1 || m.Events[0].URL != "/plugin-uninstalled" || len(m.Steps) != 0 {
		t.Fatalf("%+v %+v %+v", m.Plugin, m.Events, m.Steps)
	}
}

func TestInitInteractiveOverwrite(t *testing.T) {
	noCredentialsInEnv(t)
	dir := t.TempDir()
	target := filepath.Join(dir, manifest.FileName)
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Declining is a cancel: the file is left alone, exit 130, no error.
	p := newFakePrompter(t).Confirm("already exists", false)
	f, errOut := initFactory(t, true, p)
	if code := Run([]string{"init", dir, "--name", "N", "--description", "", "--base-url", defaultBaseURL, "--event", "entry_sign_in", "--step", "none"}, f); code != ExitCancelled {
		t.Fatalf("exit %d", code)
	}
	p.Verify()
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Fatal("overwritten after no")
	}
	if !strings.Contains(errOut.String(), "left "+target+" as it is") || strings.Contains(errOut.String(), "--force") {
		t.Errorf("stderr after No:\n%s", errOut)
	}
	// Accepting overwrites.
	p = newFakePrompter(t).Confirm("already exists", true)
	f, _ = initFactory(t, true, p)
	if code := Run([]string{"init", dir, "--name", "N", "--description", "", "--base-url", defaultBaseURL, "--event", "entry_sign_in", "--step", "none"}, f); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p.Verify()
	readManifest(t, target)
}

// After a Yes to "Overwrite it?", the prompts start from the old
// manifest's name and base URL (not the folder's name), and the answers
// are recapped at the end.
func TestInitOverwritePrefillsFromOldManifest(t *testing.T) {
	noCredentialsInEnv(t)
	dir := t.TempDir()
	target := filepath.Join(dir, manifest.FileName)
	old := manifest.Scaffold(manifest.ScaffoldOptions{Name: "Old Name", BaseURL: "http://localhost:4321", Events: []manifest.Event{{Name: "entry_sign_in", URL: "/in"}}})
	if err := os.WriteFile(target, old, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newFakePrompter(t).
		Confirm("already exists", true).
		Input("Plugin name [Old Name]", "").
		Input("Description", "").
		Input("Base URL [http://localhost:4321]", "").
		Multi("Events", []string{"entry_sign_out"}).
		Input("Worker URL for entry_sign_out", "").
		Select("first setup step", "form")
	f, errOut := initFactory(t, true, p)
	if code := Run([]string{"init", dir}, f); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p.Verify()
	m := readManifest(t, target)
	if m.Plugin.Name != "Old Name" || m.Plugin.BaseURL != "http://localhost:4321" {
		t.Fatalf("plugin = %+v", m.Plugin)
	}
	for _, want := range []string{"  Name:        Old Name\n", "  Base URL:    http://localhost:4321\n", "  Events:      entry_sign_out → /entry-sign-out\n", "  Setup step:  form\n"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("recap lacks %q:\n%s", want, errOut)
		}
	}
}

// Without a terminal an existing manifest stays an error naming --force.
func TestInitExistingWithoutTerminal(t *testing.T) {
	noCredentialsInEnv(t)
	dir := t.TempDir()
	target := filepath.Join(dir, manifest.FileName)
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, errOut := initFactory(t, false, nil)
	if code := Run([]string{"init", dir, "--name", "N"}, f); code != 1 || !strings.Contains(errOut.String(), "pass --force") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func TestInitCancelled(t *testing.T) {
	p := newFakePrompter(t).Fail("input", "Plugin name", prompt.ErrCancelled)
	f, _ := initFactory(t, true, p)
	dir := t.TempDir()
	if code := Run([]string{"init", dir}, f); code != ExitCancelled {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a manifest was written after cancelling: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.toml")
	if err := writeFileAtomic(p, []byte("one"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(p, []byte("two"), 0o644, false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second write without overwrite: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("content %q", b)
	}
	if err := writeFileAtomic(p, []byte("three"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "three" {
		t.Fatalf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	// A folder that does not exist: an error, and nothing claimed.
	if err := writeFileAtomic(filepath.Join(dir, "nope", "f"), []byte("x"), 0o644, false); err == nil {
		t.Fatal("no error for a missing folder")
	}
}

// TestInitWithHuhAccessible drives init through the real huh prompter in
// accessible mode (line-based, no terminal needed). huh reads each answer
// with a new bufio.Scanner, so the input comes one byte at a time, as a
// terminal delivers it line by line.
func TestInitWithHuhAccessible(t *testing.T) {
	noCredentialsInEnv(t)
	input := strings.Join([]string{
		"Accessible Plugin", // name
		"",                  // description
		"nope",              // base URL: refused, asked again
		"",                  // base URL: the default
		"7",                 // toggle invite_created (entry_sign_in is preselected)
		"0",                 // done
		"",                  // entry_sign_in's worker URL: the default
		"/invites",          // invite_created's
		"3",                 // OAuth2 step
	}, "\n") + "\n"
	var out bytes.Buffer
	f, _ := initFactory(t, true, nil)
	f.Prompter = &prompt.HuhPrompter{In: iotest.OneByteReader(strings.NewReader(input)), Out: &out, Accessible: true}
	dir := t.TempDir()
	if code := Run([]string{"init", dir}, f); code != 0 {
		t.Fatalf("exit %d; prompts:\n%s", code, out.String())
	}
	m := readManifest(t, filepath.Join(dir, manifest.FileName))
	want := []manifest.Event{{Name: "entry_sign_in", URL: "/entry-sign-in"}, {Name: "invite_created", URL: "/invites"}}
	if m.Plugin.Name != "Accessible Plugin" || m.Plugin.BaseURL != defaultBaseURL || !reflect.DeepEqual(m.Events, want) ||
		len(m.Steps) != 1 || m.Steps[0].Type != manifest.StepOAuth2 {
		t.Fatalf("got %+v %+v %+v; prompts:\n%s", m.Plugin, m.Events, m.Steps, out.String())
	}
	if !strings.Contains(out.String(), "must be an http(s) URL") {
		t.Fatalf("the refused base URL was not explained:\n%s", out.String())
	}
}

// When the input ends early, init takes the defaults and finishes: it
// never waits for more.
func TestInitWithHuhAccessibleEndsEarly(t *testing.T) {
	noCredentialsInEnv(t)
	var out bytes.Buffer
	f, _ := initFactory(t, true, nil)
	f.Prompter = &prompt.HuhPrompter{In: iotest.OneByteReader(strings.NewReader("Short\n")), Out: &out, Accessible: true}
	dir := t.TempDir()
	if code := Run([]string{"init", dir}, f); code != 0 {
		t.Fatalf("exit %d; prompts:\n%s", code, out.String())
	}
	m := readManifest(t, filepath.Join(dir, manifest.FileName))
	if m.Plugin.Name != "Short" || m.Plugin.BaseURL != defaultBaseURL || len(m.Events) != 1 || m.Events[0].Name != "entry_sign_in" {
		t.Fatalf("got %+v %+v", m.Plugin, m.Events)
	}
}
