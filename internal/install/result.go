package install

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// Masked returns a copy of the result whose config has secret-looking
// values masked: what is printed, as text or JSON.
func (r *Result) Masked() *Result {
	c := *r
	c.Config = MaskConfig(r.Config)
	return &c
}

// WriteText prints the resulting config, one key a line, sorted.
func (r *Result) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	where := "the simulated install's state file"
	if r.StoredIn == "simulator" {
		where = "the running simulator at " + r.SimulatorURL
	}
	fmt.Fprintf(w, "%s Install %s configured; config stored in %s:\n", cs.SuccessIcon(), r.InstallID, where)
	if len(r.Config) == 0 {
		fmt.Fprintln(w, "  (empty)")
	}
	for _, k := range sortedKeys(r.Config) {
		fmt.Fprintf(w, "  %s = %s\n", Printable(k), FormatValue(r.Config[k]))
	}
	if len(r.Removed) > 0 {
		fmt.Fprintf(w, "Removed: %s\n", joinKeys(r.Removed))
	}
	return nil
}

// FormatValue renders a config value compactly as JSON.
func FormatValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
