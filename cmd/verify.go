package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

type verifyOptions struct {
	Signature string
	Input     string
	JSON      bool
}

type verifyResult struct {
	creds.SignatureCheck
	Signature    string `json:"signature"`
	Bytes        int    `json:"bytes"`
	SecretSource string `json:"secret_source"`
}

func (r verifyResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	if r.Valid {
		fmt.Fprintf(&b, "%s signature matches (%d bytes, secret from %s)\n", cs.SuccessIcon(), r.Bytes, r.SecretSource)
	} else {
		fmt.Fprintf(&b, "%s %s\n", cs.FailureIcon(), r.Reason)
		fmt.Fprintf(&b, "  expected: %s\n", r.Expected)
		fmt.Fprintf(&b, "  got:      %s (%s)\n", strings.TrimSpace(r.Signature), r.Format)
		fmt.Fprintf(&b, "  body:     %d bytes; secret from %s\n", r.Bytes, r.SecretSource)
		for _, h := range r.Hints {
			fmt.Fprintf(&b, "  hint: %s\n", h)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func newCmdVerify(f *Factory) *cobra.Command {
	opts := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify --signature S [file|-]",
		Short: "Check an X-Envoy-Signature value against a body",
		Long: `Check a signature against a body, as an SDK-based plugin does (constant-time,
byte for byte), for debugging a plugin's own verification. Exit status 0
when it matches, 1 when it does not, with the reason: a hex or base64url
value of the right HMAC (which the SDK refuses), the signature of the body
with or without its final newline, or another secret.

The body is read from the file, or from standard input when the argument is
"-" or missing; the secret from ENVOY_CLIENT_SECRET (environment or env
file).`,
		Example: `  $ envoy-plugin verify --signature 'JH0+K19PMZm0MmDfhQTMU8HjhMd/6/KQJRGaQup0XNs=' body.json
  $ envoy-plugin verify --signature "$SIG" - < captured-body.json`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if strings.TrimSpace(opts.Signature) == "" {
				return usageErrorf("--signature is required: the X-Envoy-Signature value to check")
			}
			if len(args) == 1 {
				opts.Input = args[0]
			}
			return verifyRun(f, opts)
		},
	}
	c.Flags().StringVar(&opts.Signature, "signature", "", "the X-Envoy-Signature value to check (required)")
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return c
}

func verifyRun(f *Factory, opts *verifyOptions) error {
	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	body, _, err := readSignBody(f, opts.Input)
	if err != nil {
		return err
	}
	res := verifyResult{
		SignatureCheck: creds.CheckSignature(cr.ClientSecret, body, opts.Signature),
		Signature:      opts.Signature,
		Bytes:          len(body),
		SecretSource:   credsSourceName(f, cr.ClientSecretSource),
	}
	if err := f.Printer(opts.JSON).Print(res); err != nil {
		return err
	}
	if !res.Valid {
		return SilentError
	}
	return nil
}
