package sample

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

// TestFinishInviteThroughTheAPI: with an API base URL the sample plugin logs
// in and finishes its 202 job as an SDK-based plugin does (attach, then
// complete), against the real simulator.
func TestFinishInviteThroughTheAPI(t *testing.T) {
	db := api.NewMemory(time.Now)
	srv := httptest.NewServer(api.New(api.Options{DB: db, ClientID: "cid", ClientSecret: "sec"}))
	defer srv.Close()
	if _, err := db.RegisterJob(api.Job{ID: "job-1", Event: "invite_created"}); err != nil {
		t.Fatal(err)
	}
	var logged []string
	p := New(Options{Secret: "sec", APIBaseURL: srv.URL, ClientID: "cid", Logf: func(f string, a ...any) { logged = append(logged, f) }})
	p.finishInvite("job-1", "Ada Lovelace")
	j, err := db.Job("job-1")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != api.StatusDone || j.StatusMessage != "Badge ready for Ada Lovelace" || len(j.Attachments) != 2 {
		t.Fatalf("job = %+v (log %v)", j, logged)
	}

	// Wrong credentials: the failure is reported, not swallowed.
	bad := New(Options{Secret: "nope", APIBaseURL: srv.URL, ClientID: "cid", Logf: func(f string, a ...any) { logged = append(logged, f) }})
	logged = nil
	bad.finishInvite("job-1", "x")
	if len(logged) == 0 {
		t.Fatal("a refused login was not reported")
	}
	// Without an API base URL nothing is called.
	if New(Options{Secret: "sec"}).api != nil {
		t.Fatal("API client without ENVOY_BASE_URL")
	}
}
