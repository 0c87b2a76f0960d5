package iostreams

import "testing"

func TestDecideColor(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		tty  bool
		want bool
	}{
		{"terminal", nil, true, true},
		{"pipe", nil, false, false},
		{"NO_COLOR wins on a terminal", map[string]string{"NO_COLOR": "1"}, true, false},
		{"NO_COLOR wins over CLICOLOR_FORCE", map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, true, false},
		{"CLICOLOR_FORCE in a pipe", map[string]string{"CLICOLOR_FORCE": "1"}, false, true},
		{"CLICOLOR_FORCE=0 does not force", map[string]string{"CLICOLOR_FORCE": "0"}, false, false},
		{"dumb terminal", map[string]string{"TERM": "dumb"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideColor(func(k string) string { return tt.env[k] }, tt.tty)
			if got != tt.want {
				t.Fatalf("decideColor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanPrompt(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.CanPrompt() {
		t.Fatal("buffers are not terminals")
	}
	ios.SetStdinTTY(true)
	if ios.CanPrompt() {
		t.Fatal("stdout is not a terminal")
	}
	ios.SetStdoutTTY(true)
	if ios.CanPrompt() {
		t.Fatal("stderr (where prompts are drawn) is not a terminal")
	}
	ios.SetStderrTTY(true)
	if !ios.CanPrompt() {
		t.Fatal("all terminals: may prompt")
	}
	ios.SetNoInput(true)
	if ios.CanPrompt() {
		t.Fatal("--no-input forbids prompts")
	}
	ios.SetNoInput(false)
	if ios.CanPrompt() {
		t.Fatal("--no-input cannot be undone by a later false")
	}
}

func TestColorSchemeOff(t *testing.T) {
	ios, _, _, _ := Test()
	cs := ios.ColorScheme()
	if got := cs.Red("x"); got != "x" {
		t.Fatalf("colour off must leave text alone: %q", got)
	}
	ios.SetColorEnabled(true)
	if got := ios.ColorScheme().Red("x"); got == "x" {
		t.Fatal("colour on must paint")
	}
}
