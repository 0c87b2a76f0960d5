package selectcheck

import (
	"bytes"
	"context"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// The sample plugin follows the contract: no check may fail or warn.
func TestSamplePluginNoFalseAlarm(t *testing.T) {
	m := sampleManifest(t)
	opts := testOptions()
	opts.CheckSigning = true
	rep, err := CheckManifest(context.Background(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = rep.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme())
	t.Log(buf.String())
	if !rep.OK() || rep.Summary.Warnings > 0 || rep.Summary.Skipped > 0 {
		t.Fatalf("false alarm on the sample plugin:\n%s", buf.String())
	}
}
