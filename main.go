// Command envoy-plugin is the local workbench for Envoy plugin developers.
package main

import (
	"os"

	"github.com/envoy-plugin/envoy-plugin/cmd"
	"github.com/envoy-plugin/envoy-plugin/internal/build"
)

// Set at release time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = ""
	commit  = ""
	date    = ""
	builtBy = ""
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], build.Resolve(version, commit, date, builtBy)))
}
