package delivery

import (
	"testing"
)

// TestAnswerOf: what Envoy records from a worker's answer body, by outcome.
func TestAnswerOf(t *testing.T) {
	body := []byte(`{"message":"not for us","debugInfo":{},"attachments":[{"type":"text","label":"why","value":"because"},"junk",null,7]}`)
	tests := []struct {
		name       string
		kind       Kind
		unexpected bool
		body       []byte
		msg        string
		atts       int
	}{
		{"412", Failed, false, body, "not for us", 1},
		{"400", Ignored, false, body, "not for us", 1},
		{"202 message only", Ongoing, false, body, "not for us", 0},
		{"200 kept for debugging only", Done, false, body, "", 0},
		{"unexpected 500", Failed, true, body, "", 0},
		{"non-string message", Failed, false, []byte(`{"message":{"a":1},"attachments":"x"}`), "", 0},
		{"not JSON", Ignored, false, []byte(`nope`), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answerOf(tt.kind, tt.unexpected, tt.body)
			if a.Status != string(tt.kind) || a.Message != tt.msg || len(a.Attachments) != tt.atts {
				t.Fatalf("answerOf = %+v", a)
			}
		})
	}
	r := Result{Outcome: Outcome{Kind: Failed}, Truncated: true, raw: body}
	if a := r.Answer(); a.Message != "" || len(a.Attachments) != 0 {
		t.Fatalf("truncated body recorded: %+v", a)
	}
}
