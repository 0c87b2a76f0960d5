package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/sample"
)

type sampleOptions struct {
	Listen string
}

func newCmdSample(f *Factory) *cobra.Command {
	opts := &sampleOptions{}
	c := &cobra.Command{
		Use:   "sample",
		Short: "Serve the built-in sample plugin, to try dev, install and test-select by hand",
		Long: `Serve envoy-plugin's built-in sample plugin (the one demo runs) until
Ctrl-C. It verifies every request's X-Envoy-Signature with ENVOY_CLIENT_SECRET
(flags > environment > env file) exactly as Envoy's SDK does, and answers its
workers, options, validation, OAuth2 and popup routes as the sample manifest
(written by envoy-plugin demo --dir DIR) describes. With ENVOY_BASE_URL set
(as envoy-plugin dev sets it), it finishes its 202 jobs (invite_created)
through the plugin API: login, an attachment, then done.

It listens on --listen; by default on 127.0.0.1:$PORT when PORT is set (as
envoy-plugin dev sets it for the plugin it starts), else on the host and port
of the manifest's [plugin].base_url, else on 127.0.0.1:3000.`,
		Example: `  $ envoy-plugin demo --dir sample-plugin && cd sample-plugin
  $ envoy-plugin dev -- envoy-plugin sample
  $ envoy-plugin sample --listen 127.0.0.1:3000`,
		Args: maxArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			return sampleRun(c.Context(), f, opts)
		},
	}
	c.Flags().StringVar(&opts.Listen, "listen", "", "address to listen on (default: 127.0.0.1:$PORT, else the manifest's base_url, else 127.0.0.1:3000)")
	return c
}

// sampleAddr picks the listen address as the help describes.
func sampleAddr(f *Factory, flag string) string {
	if flag != "" {
		return flag
	}
	if p := f.Getenv("PORT"); p != "" {
		return net.JoinHostPort("127.0.0.1", p)
	}
	if _, found, err := f.ManifestPath(); err == nil && found {
		if m, err := f.Manifest(); err == nil && m.Plugin.BaseURL != "" {
			if u, err := url.Parse(m.Plugin.BaseURL); err == nil && u.Port() != "" {
				host := u.Hostname()
				if host == "localhost" || host == "" {
					host = "127.0.0.1"
				}
				return net.JoinHostPort(host, u.Port())
			}
		}
	}
	return "127.0.0.1:3000"
}

func sampleRun(ctx context.Context, f *Factory, o *sampleOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	addr := sampleAddr(f, o.Listen)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("the sample plugin cannot listen on %s: %w (pick another with --listen)", addr, err)
	}
	opts := sample.Options{Secret: cr.ClientSecret}
	if cr.BaseURL != "" {
		// Under `envoy-plugin dev` (or with ENVOY_BASE_URL set), finish
		// 202 jobs through the plugin API as an SDK-based plugin does.
		opts.APIBaseURL, opts.ClientID = cr.BaseURL, cr.ClientID
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(f.IO.ErrOut, format+"\n", a...) }
	}
	srv := &http.Server{Handler: sample.New(opts), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	cs := f.IO.ColorScheme()
	fmt.Fprintf(f.IO.ErrOut, "%s sample plugin listening on http://%s (signatures checked with ENVOY_CLIENT_SECRET from %s); Ctrl-C stops it\n",
		cs.SuccessIcon(), l.Addr(), cr.ClientSecretSource)
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		fmt.Fprintln(f.IO.ErrOut, "sample plugin stopped")
		return nil
	}
}
