package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

func renderText(t *testing.T, e Event) string {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var b bytes.Buffer
	if err := e.WriteText(&b, ios.ColorScheme()); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEventText(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		event   Event
		want    []string
		notWant []string
	}{
		{
			name:  "login",
			event: Event{Kind: KindLogin, ClientID: "abc", ExpiresIn: 43200},
			want:  []string{"login", "plugin logged in as abc", "12h0m0s"},
		},
		{
			name: "job update with every attachment type",
			event: Event{Kind: KindJobUpdate, JobID: "job-1", Update: &JobUpdate{
				Status: "failed", StatusMessage: "no badge", FailureReason: "printer offline",
				Attachments: []map[string]any{
					{"type": "text", "label": "Greeting", "value": "Hello"},
					{"type": "password", "label": "Door code", "value": "4242"},
					{"type": "json", "label": "Raw", "value": map[string]any{"a": 1}},
					{"type": "link", "label": "Docs", "value": "Read", "url": "https://example.com/docs"},
					{"type": "credential_image", "label": "Badge", "title": "Ada's badge", "image": map[string]any{"type": "s3", "link": "https://example.com/b.png"}},
					{"type": "hologram", "label": "X", "value": 1},
				},
			}},
			want: []string{"job-1", "failed", `"no badge"`, "(reason: printer offline)", "+6 attachment(s)",
				"text Greeting: Hello", "password Door code: ••••••••", `json Raw: {"a":1}`,
				"link Docs: Read → https://example.com/docs", "credential_image Badge: Ada's badge (s3 https://example.com/b.png)",
				`unknown attachment type "hologram"`},
			notWant: []string{"4242"},
		},
		{
			name: "storage with a missing key",
			event: Event{Kind: KindStorage, InstallID: "inst-1", Storage: []StorageOp{
				{Action: "set", Key: "a", Value: json.RawMessage(`1`), Result: json.RawMessage(`{"key":"a","value":1}`)},
				{Action: "get", Key: "nope", Result: json.RawMessage(`null`), Null: true},
			}},
			want: []string{"install inst-1 pipeline, 2 command(s)", "set a = 1", "get nope → null (not set)", EmptyDataMessage},
		},
		{
			name: "control characters from the plugin are shown escaped",
			event: Event{Kind: KindJobUpdate, JobID: "j\x1b[2J", Update: &JobUpdate{Attachments: []map[string]any{
				{"type": "text", "label": "L\x1b]0;pwned\x07", "value": "line1\nline2\r"},
				{"type": "link", "label": "x", "value": "v", "url": "https://e.com/\x1b[31m"},
			}}, Storage: nil},
			want:    []string{`j\x1b[2J`, `L\x1b]0;pwned\a: line1\nline2\r`, `https://e.com/\x1b[31m`},
			notWant: []string{"\x1b", "\x07", "line1\n"},
		},
		{
			name:  "storage key with a newline",
			event: Event{Kind: KindStorage, Global: true, Storage: []StorageOp{{Action: "get", Key: "a\nb", Result: json.RawMessage(`null`), Null: true}}},
			want:  []string{`get a\nb → null`},
		},
		{
			name:  "config write",
			event: Event{Kind: KindConfigWrite, Patch: map[string]any{"A": nil}, Config: map[string]any{"B": 1}},
			want:  []string{"config", `merged {"A":null} → {"B":1}`},
		},
		{
			name:  "denied",
			event: Event{Kind: KindDenied, Status: 401, Method: "POST", Path: PathStorage, Message: "missing bearer token", Hint: "log in first"},
			want:  []string{"denied", "401 POST /api/v2/plugin-services/storage: missing bearer token", "log in first"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.event.Time = at
			got := renderText(t, tt.event)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("text shows %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "\x1b[") {
				t.Errorf("colour with colour off:\n%q", got)
			}
		})
	}
}

// A plugin's megabyte or deeply nested values print bounded in the live log.
func TestEventValuesBounded(t *testing.T) {
	var deep any
	if err := json.Unmarshal([]byte(strings.Repeat("[", 5000)+strings.Repeat("]", 5000)), &deep); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("é", 1<<19)
	e := Event{Kind: KindJobUpdate, JobID: "j", Update: &JobUpdate{StatusMessage: huge, FailureReason: huge, Attachments: []map[string]any{
		{"type": "json", "label": "deep", "value": deep},
		{"type": "text", "label": huge, "value": huge},
		{"type": "weird", "label": "x", "value": map[string]any{"k": huge}},
	}}}
	text := renderText(t, e)
	if len(text) > 16*ValueLimit || !strings.Contains(text, "more bytes)") || !utf8.ValidString(text) {
		t.Fatalf("job update renders %d bytes:\n%.500s", len(text), text)
	}
	n := Event{Kind: KindNotification, InstallID: "i", Body: json.RawMessage(`"` + huge + `"`)}
	if text := renderText(t, n); len(text) > 2*ValueLimit {
		t.Fatalf("notification renders %d bytes", len(text))
	}
	s := Event{Kind: KindStorage, InstallID: "i", Storage: []StorageOp{{Action: ActionSet, Key: huge, Value: json.RawMessage(`"` + huge + `"`)}, {Action: ActionList, Result: json.RawMessage(`"` + huge + `"`)}}}
	if text := renderText(t, s); len(text) > 8*ValueLimit {
		t.Fatalf("storage renders %d bytes", len(text))
	}
}

// TestBoundedCountsOnce: bounding an already bounded value keeps the real
// count of what was left out.
func TestBoundedCountsOnce(t *testing.T) {
	long := strings.Repeat("[", 20000)
	once := bounded(long)
	if twice := bounded(once); twice != once {
		t.Fatalf("bounded twice changed the note:\n%s\n%s", once[len(once)-30:], twice[len(twice)-30:])
	}
	if !strings.HasSuffix(once, fmt.Sprintf("(%d more bytes)", 20000-ValueLimit)) {
		t.Fatalf("note: %q", once[len(once)-30:])
	}
	line := FormatAttachment(map[string]any{"type": "json", "label": "deep", "value": json.RawMessage(long)}, (&iostreams.IOStreams{}).ColorScheme(), true)
	if !strings.Contains(line, fmt.Sprintf("(%d more bytes)", 20000-ValueLimit)) {
		t.Fatalf("attachment note lost the real count: %q", line[len(line)-40:])
	}
}
