package cmd

import (
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery/deliverytest"
)

func init() {
	registerScriptCmd("sampleplugin", scriptSamplePlugin)
	registerScriptCmd("hostile", scriptHostile)
}

// sampleplugin [-manifest file] [VAR]
//
// Starts the built-in sample plugin on 127.0.0.1 (a free port), signed
// with $ENVOY_CLIENT_SECRET, and sets VAR (default SAMPLE_URL) to its base
// URL. -manifest also writes the sample manifest pointing at it. The
// plugin stops when the script ends.
func scriptSamplePlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sampleplugin")
	}
	manifestFile := ""
	if len(args) >= 2 && args[0] == "-manifest" {
		manifestFile, args = args[1], args[2:]
	}
	name := "SAMPLE_URL"
	if len(args) == 1 {
		name = args[0]
	} else if len(args) > 1 {
		ts.Fatalf("usage: sampleplugin [-manifest file] [VAR]")
	}
	secret := ts.Getenv("ENVOY_CLIENT_SECRET")
	if secret == "" {
		ts.Fatalf("sampleplugin: set ENVOY_CLIENT_SECRET first")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: sample.New(sample.Options{Secret: secret})}
	go func() { _ = srv.Serve(l) }()
	ts.Defer(func() { _ = srv.Close() })
	url := "http://" + l.Addr().String()
	ts.Setenv(name, url)
	if manifestFile != "" {
		ts.Check(os.WriteFile(ts.MkAbs(manifestFile), sample.Manifest(url), 0o644))
	}
}

// hostile <mode> [VAR]
//
// Starts a misbehaving plugin (modes: see deliverytest.Modes) and sets VAR
// (default HOSTILE_URL) to its URL and VAR_HOST to its host:port. It stops
// when the script ends.
func scriptHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! hostile")
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: hostile <%s> [VAR]", strings.Join(deliverytest.Modes(), "|"))
	}
	s, err := deliverytest.NewHostile(args[0])
	ts.Check(err)
	ts.Defer(s.Close)
	name := "HOSTILE_URL"
	if len(args) == 2 {
		name = args[1]
	}
	ts.Setenv(name, s.URL)
	ts.Setenv(name+"_HOST", strings.TrimPrefix(s.URL, "http://"))
}
