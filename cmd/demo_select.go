package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck"
)

// demoSelect runs test-select on every select and mapping field of the
// sample plugin: one demo line per field, with the failing checks named.
func demoSelect(ctx context.Context, env *demoEnv) demoSectionResult {
	var res demoSectionResult
	rep, err := selectcheck.CheckManifest(ctx, env.Manifest, selectcheck.Options{
		Client:       env.Client,
		Secret:       env.Secret,
		CheckSigning: true,
	})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, fr := range rep.Fields {
		var bad []string
		for _, c := range fr.Checks {
			if c.Status == selectcheck.Fail || c.Status == selectcheck.Warn {
				bad = append(bad, fmt.Sprintf("%s %s: %s", c.Status, c.Name, c.Message))
			}
		}
		res.Checks = append(res.Checks, demoCheck{
			Name:     fr.Name,
			Expected: "every check passes",
			Got:      fmt.Sprintf("%d checks passed, %d failed, %d warnings; %d options on %d pages", fr.Passed, fr.Failed, fr.Warnings, fr.Options, fr.Pages),
			OK:       fr.Failed == 0 && fr.Warnings == 0,
			Detail:   strings.Join(bad, "; "),
		})
	}
	if len(rep.Fields) == 0 {
		res.Error = "the sample manifest has no select field"
	}
	return res
}
