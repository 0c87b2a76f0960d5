package manifest

import "github.com/envoy-plugin/envoy-plugin/internal/suggest"

// closest returns the candidate nearest to s (a likely typo of it), or "".
func closest(s string, candidates []string) string { return suggest.Closest(s, candidates) }

// Closest returns the candidate that s is most likely a typo of, or "".
func Closest(s string, candidates []string) string { return suggest.Closest(s, candidates) }
