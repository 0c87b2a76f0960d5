package api

import (
	"encoding/json"
	"testing"
)

// TestRecordAnswer: the worker's HTTP answer (400/412/202 with a message
// and attachments) is recorded as a history entry from the answer, and
// sets the job's status message and attachments; what the plugin set
// through the API wins.
func TestRecordAnswer(t *testing.T) {
	att := map[string]any{"type": "text", "label": "why", "value": "because"}
	tests := []struct {
		name        string
		plugin      *JobUpdate // the plugin's PATCH before the answer
		answer      JobAnswer
		wantStatus  string
		wantMessage string
		wantAtts    int
		wantHistory []string // each entry's source/status
	}{
		{"412 with message and attachment", nil,
			JobAnswer{Status: StatusFailed, Message: "not for us", Attachments: []map[string]any{att}},
			StatusFailed, "not for us", 1, []string{"answer/failed"}},
		{"202 message", nil, JobAnswer{Status: StatusOngoing, Message: "working on it"},
			StatusOngoing, "working on it", 0, []string{"answer/ongoing"}},
		{"status alone records no entry", nil, JobAnswer{Status: StatusDone},
			StatusDone, "", 0, []string{}},
		{"nil attachments skipped", nil, JobAnswer{Status: StatusIgnored, Attachments: []map[string]any{nil, att}},
			StatusIgnored, "", 1, []string{"answer/ignored"}},
		{"plugin status wins", &JobUpdate{Status: StatusDone, StatusMessage: "greeted"},
			JobAnswer{Status: StatusFailed, Message: "not for us", Attachments: []map[string]any{att}},
			StatusDone, "greeted", 0, []string{"/done"}},
		{"plugin message wins, answer status applies", &JobUpdate{StatusMessage: "halfway"},
			JobAnswer{Status: StatusIgnored, Message: "not for us", Attachments: []map[string]any{att}},
			StatusIgnored, "halfway", 1, []string{"/", "answer/ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := NewMemory(nil)
			if _, err := db.RegisterJob(Job{ID: "j", Event: "entry_sign_in"}); err != nil {
				t.Fatal(err)
			}
			if tt.plugin != nil {
				if _, err := db.UpdateJob("j", *tt.plugin); err != nil {
					t.Fatal(err)
				}
			}
			j, err := db.RecordAnswer("j", tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status != tt.wantStatus || j.StatusMessage != tt.wantMessage || len(j.Attachments) != tt.wantAtts {
				t.Fatalf("job = %+v", j)
			}
			got := []string{}
			for _, u := range j.History {
				got = append(got, u.Source+"/"+u.Status)
			}
			if len(got) != len(tt.wantHistory) {
				t.Fatalf("history = %v, want %v", got, tt.wantHistory)
			}
			for i := range got {
				if got[i] != tt.wantHistory[i] {
					t.Fatalf("history = %v, want %v", got, tt.wantHistory)
				}
			}
		})
	}
	if _, err := NewMemory(nil).RecordAnswer("nope", JobAnswer{Status: StatusDone}); err == nil {
		t.Fatal("unknown job accepted")
	}
}

// TestAdminAnswerRoute: the admin status route takes the answer body's
// message and attachments, skipping a non-string message and non-object
// attachments, and the JSON of the job marks the entry "source":"answer".
func TestAdminAnswerRoute(t *testing.T) {
	f := newFixture(t, nil, 0)
	for _, id := range []string{"a", "b"} {
		if _, err := f.db.RegisterJob(Job{ID: id, Event: "entry_sign_in"}); err != nil {
			t.Fatal(err)
		}
	}
	status, body := f.do(t, "", "POST", AdminPrefix+"jobs/a/status", map[string]any{
		"status": "failed", "message": "not for us",
		"attachments": []any{map[string]any{"type": "text", "label": "why", "value": "because"}, "junk", 3, nil},
	})
	if status != 200 {
		t.Fatalf("= %d %s", status, body)
	}
	var out struct {
		Data Job `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	j := out.Data
	if j.Status != StatusFailed || j.StatusMessage != "not for us" || len(j.Attachments) != 1 || len(j.History) != 1 ||
		j.History[0].Source != AnswerSource || j.Attachments[0]["value"] != "because" {
		t.Fatalf("job = %+v", j)
	}
	status, body = f.do(t, "", "POST", AdminPrefix+"jobs/b/status", map[string]any{"status": "ignored", "message": map[string]any{"x": 1}, "attachments": "nope"})
	if status != 200 {
		t.Fatalf("= %d %s", status, body)
	}
	if j, _ := f.db.Job("b"); j.Status != StatusIgnored || j.StatusMessage != "" || len(j.History) != 0 {
		t.Fatalf("job b = %+v", j)
	}
}
