package simstate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

const testPID = 4242

// liveSim starts a simulator on the project's state file and announces it
// in dev.json, as `envoy-plugin dev` does.
func liveSim(t *testing.T, dir string) *api.DB {
	t.Helper()
	db, err := api.Open(StatePath(dir), api.OpenOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Options{DB: db, ClientID: "id", ClientSecret: "secret", AdminKey: "key", PID: testPID}))
	t.Cleanup(srv.Close)
	if err := WriteDevInfo(dir, DevInfo{URL: srv.URL, PID: testPID, AdminKey: "key"}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOpenChoosesTheStore(t *testing.T) {
	t.Run("nothing", func(t *testing.T) {
		if _, err := Open(t.TempDir(), false); !errors.Is(err, ErrNoSimulator) {
			t.Fatalf("err = %v, want ErrNoSimulator", err)
		}
	})
	t.Run("create makes a state file", func(t *testing.T) {
		dir := t.TempDir()
		st, err := Open(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		if st.Running() || st.URL() != "" {
			t.Fatalf("a state file store says it runs")
		}
		if _, err := os.Stat(StatePath(dir)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stale dev.json", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := api.Open(StatePath(dir), api.OpenOptions{Create: true}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(nil)
		url := srv.URL
		srv.Close() // nothing answers there any more
		if err := WriteDevInfo(dir, DevInfo{URL: url, PID: testPID, AdminKey: "k"}); err != nil {
			t.Fatal(err)
		}
		st, err := Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if st.Running() {
			t.Fatal("a stale dev.json counts as running")
		}
	})
	t.Run("another pid answers", func(t *testing.T) {
		dir := t.TempDir()
		liveSim(t, dir)
		d, _ := ReadDevInfo(dir)
		d.PID = testPID + 1
		if err := WriteDevInfo(dir, d); err != nil {
			t.Fatal(err)
		}
		st, err := Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if st.Running() {
			t.Fatal("a simulator with another pid counts as the one in dev.json")
		}
	})
	t.Run("running", func(t *testing.T) {
		dir := t.TempDir()
		liveSim(t, dir)
		st, err := Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running() || st.URL() == "" {
			t.Fatal("a live simulator is not used")
		}
	})
}

// TestStoresAgree runs the same calls against the HTTP store and the file
// store.
func TestStoresAgree(t *testing.T) {
	for _, live := range []bool{true, false} {
		name := "state file"
		if live {
			name = "simulator"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			var db *api.DB
			if live {
				db = liveSim(t, dir)
			}
			st, err := OpenInspector(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			if st.Running() != live {
				t.Fatalf("Running() = %v", st.Running())
			}
			in, err := st.Install(ctx)
			if err != nil || in.InstallID == "" || in.PluginID == "" || in.Config == nil {
				t.Fatalf("Install = %+v, %v", in, err)
			}
			cfg, err := st.MergeConfig(ctx, map[string]any{"A": "1", "B": json.Number("2")})
			if err != nil || cfg["A"] != "1" {
				t.Fatalf("MergeConfig = %v, %v", cfg, err)
			}
			cfg, err = st.MergeConfig(ctx, map[string]any{"A": nil})
			if _, ok := cfg["A"]; err != nil || ok || len(cfg) != 1 {
				t.Fatalf("MergeConfig delete = %v, %v", cfg, err)
			}
			if err := st.RegisterJob(ctx, Job{ID: "job-1", Event: "entry_sign_in", InstallID: in.InstallID, Status: "queued"}); err != nil {
				t.Fatal(err)
			}
			if err := st.RegisterJob(ctx, Job{ID: "job-2", Event: "entry_sign_in", InstallID: "other"}); !NotFound(err) {
				t.Fatalf("RegisterJob for another install = %v, want not found", err)
			}
			j, err := st.Job(ctx, "job-1")
			if err != nil || j.Status != "queued" || j.InstallID != in.InstallID {
				t.Fatalf("Job = %+v, %v", j, err)
			}
			if _, err := st.Job(ctx, "nope"); !NotFound(err) {
				t.Fatalf("Job(nope) = %v", err)
			}
			if j, err := st.SetJobStatus(ctx, "job-1", "ongoing"); err != nil || j.Status != "ongoing" {
				t.Fatalf("SetJobStatus = %+v, %v", j, err)
			}
			jobs, err := st.Jobs(ctx)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("Jobs = %+v, %v", jobs, err)
			}
			tok, exp, err := st.IssueToken(ctx)
			if err != nil || tok == "" || exp <= 600 {
				t.Fatalf("IssueToken = %q %d %v", tok, exp, err)
			}
			check := db
			if check == nil {
				check, _ = api.Open(StatePath(dir), api.OpenOptions{})
			}
			if s, _ := check.CheckToken(tok); s != api.TokenValid {
				t.Fatal("the issued token is not accepted")
			}
			res, err := st.Storage(ctx, api.AdminStorageRequest{Commands: []api.StorageCommand{
				{Action: api.ActionSet, Key: "k", Value: json.RawMessage(`{"x":1}`)},
				{Action: api.ActionGet, Key: "missing"},
				{Action: api.ActionList, Page: 1},
			}})
			if err != nil || len(res) != 3 || string(res[0]) != `{"key":"k","value":{"x":1}}` || string(res[1]) != "null" || string(res[2]) != `[{"key":"k","value":{"x":1}}]` {
				t.Fatalf("Storage = %s, %v", res, err)
			}
			res, err = st.Storage(ctx, api.AdminStorageRequest{Global: true, Commands: []api.StorageCommand{{Action: api.ActionGet, Key: "k"}}})
			if err != nil || string(res[0]) != "null" {
				t.Fatalf("global storage sees install storage: %s, %v", res, err)
			}
			if _, err := st.Storage(ctx, api.AdminStorageRequest{InstallID: "other", Commands: []api.StorageCommand{{Action: api.ActionGet, Key: "k"}}}); !NotFound(err) {
				t.Fatalf("Storage for another install = %v", err)
			}
			if live {
				// The simulator owns the state: the calls went to it.
				if got := db.Install().Config["B"]; got == nil {
					t.Fatal("the simulator did not get the config change")
				}
			}
		})
	}
}

func TestRemoveDevInfoOnlyOwn(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDevInfo(dir, DevInfo{URL: "http://127.0.0.1:1", PID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveDevInfo(dir, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(DevInfoPath(dir)); err != nil {
		t.Fatal("another simulator's dev.json was removed")
	}
	if err := RemoveDevInfo(dir, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(DevInfoPath(dir)); !os.IsNotExist(err) {
		t.Fatal("dev.json is still there")
	}
	if err := RemoveDevInfo(dir, 1); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, Dir)); err != nil || !fi.IsDir() {
		t.Fatalf("the folder: %v", err)
	}
}
