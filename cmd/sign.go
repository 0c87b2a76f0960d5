package cmd

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// maxSignBody bounds what sign and verify read; Envoy's SDK itself refuses
// bodies over sdkBodyLimit.
const (
	maxSignBody  = 32 << 20
	sdkBodyLimit = 100 * 1024
)

type signOptions struct {
	Input string // file, or "-"/"" for stdin
	JSON  bool
}

type signResult struct {
	Header       string `json:"header"`
	Signature    string `json:"signature"`
	Bytes        int    `json:"bytes"`
	SecretSource string `json:"secret_source"`
}

func (r signResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	_, err := fmt.Fprintln(w, r.Signature)
	return err
}

func newCmdSign(f *Factory) *cobra.Command {
	opts := &signOptions{}
	c := &cobra.Command{
		// $(envoy-plugin sign body.json) must stay a bare value even when
		// a CI sets ENVOY_PLUGIN_JSON for the other commands.
		Annotations: map[string]string{annotationNoEnvFlags: "json"},
		Use:         "sign [file|-]",
		Short:       "Print the X-Envoy-Signature value for a request body",
		Long: `Print the X-Envoy-Signature header value Envoy would send with a body: the
standard, padded base64 of HMAC-SHA256 over the exact bytes, keyed with the
client secret (ENVOY_CLIENT_SECRET, from the environment or the env file).

The body is read from the file, or from standard input when the argument is
"-" or missing. Every byte counts, a final newline too: send the file with
curl --data-binary @file (curl -d @file strips newlines).`,
		Example: `  $ envoy-plugin sign body.json
  $ curl -X POST http://localhost:3000/entry-sign-in \
      -H 'Content-Type: application/json' \
      -H "X-Envoy-Signature: $(envoy-plugin sign body.json)" \
      --data-binary @body.json
  $ printf '{"meta":{},"payload":{}}' | envoy-plugin sign`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Input = args[0]
			}
			return signRun(f, opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the header name, signature, body size and secret source as JSON")
	return c
}

func signRun(f *Factory, opts *signOptions) error {
	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	body, name, err := readSignBody(f, opts.Input)
	if err != nil {
		return err
	}
	warnBody(f, body, name)
	src := credsSourceName(f, cr.ClientSecretSource)
	if !opts.JSON {
		f.Infof("signed %d bytes of %s with %s from %s", len(body), name, creds.EnvClientSecret, src)
	}
	return f.Printer(opts.JSON).Print(signResult{
		Header:       creds.SignatureHeader,
		Signature:    creds.Sign(cr.ClientSecret, body),
		Bytes:        len(body),
		SecretSource: src,
	})
}

// readSignBody reads the body from a file, or stdin for "" and "-".
func readSignBody(f *Factory, input string) ([]byte, string, error) {
	var r io.Reader
	name := input
	if input == "" || input == "-" {
		r, name = f.IO.In, "standard input"
		if f.IO.IsStdinTTY() {
			// Without a pipe, reading standard input would wait silently
			// for the user to type a body.
			if input == "" {
				return nil, "", usageErrorf("no body to read: give a file, pipe the body in, or pass - to type it on the terminal")
			}
			fmt.Fprintln(f.IO.ErrOut, "Reading the body from the terminal; end it with Ctrl-D (every byte counts, the last newline too).")
		}
	} else {
		fh, err := os.Open(input)
		if err != nil {
			return nil, "", fmt.Errorf("cannot read the body: %v", unwrapErr(err))
		}
		defer fh.Close()
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			return nil, "", fmt.Errorf("cannot read the body: %s is a directory; pass a file, or - for standard input", input)
		}
		r = fh
	}
	body, err := io.ReadAll(io.LimitReader(r, maxSignBody+1))
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the body from %s: %v", name, err)
	}
	if len(body) > maxSignBody {
		return nil, "", fmt.Errorf("the body from %s is over %d MB; Envoy's SDK refuses anything over 100 kB anyway", name, maxSignBody>>20)
	}
	return body, name, nil
}

// warnBody points out what usually makes a signature fail later.
func warnBody(f *Factory, body []byte, name string) {
	if len(body) > sdkBodyLimit {
		f.Warnf("the body is %d bytes: an SDK-based plugin refuses bodies over 100 kB (500 \"request entity too large\")", len(body))
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		f.Warnf("the body from %s ends with a newline, which is signed too: send it with curl --data-binary @file, not -d @file (which strips newlines)", name)
	}
}

func unwrapErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
