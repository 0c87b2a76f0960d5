// Package build describes the running binary: version, commit, date.
package build

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Info is what `envoy-plugin version` prints.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"`
	BuiltBy string `json:"built_by,omitempty"`
}

// Resolve fills in values injected with -ldflags, falling back to the module
// build information that `go install module@version` records.
func Resolve(version, commit, date, builtBy string) Info {
	info := Info{Version: version, Commit: commit, Date: date, BuiltBy: builtBy}
	// goreleaser injects placeholders when it cannot read the repository
	// (no tag, no remote): show nothing rather than "none" and year 1.
	if info.Commit == "none" || info.Commit == "unknown" {
		info.Commit = ""
	}
	if strings.HasPrefix(info.Date, "0001-01-01") || info.Date == "unknown" {
		info.Date = ""
	}
	if info.Version != "" {
		return info
	}
	info.Version = "dev"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		}
	}
	return info
}

// String renders the one-line form used by --version.
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += fmt.Sprintf(" (%s", c)
		if i.Date != "" {
			s += ", " + i.Date
		}
		s += ")"
	}
	return s
}

// UserAgent is the User-Agent every outgoing request carries.
func (i Info) UserAgent() string { return "envoy-plugin/" + i.Version }
