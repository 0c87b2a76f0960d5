package install

import (
	"context"
	"fmt"
	"sort"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// CallbackParam is the query param, added next to state, that tells a
// popup where the local callback listener is. Envoy's builder has one fixed
// callback URL, which a plugin knows in advance; a plugin under development
// can read this param instead (the sample plugin does), or be configured
// with the printed callback URL (fixed with --callback-port).
const CallbackParam = "callback"

// popupStep completes a popup step: the content URL is opened with a fresh
// state; the plugin finishes by redirecting to the callback URL with the
// same state plus values, which are sent to the validation URL (without one
// nothing is saved: platform.md).
func (w *walker) popupStep(ctx context.Context, i int, step *manifest.Step) (map[string]any, string, error) {
	return w.flowStep(ctx, i, step, "complete the popup", func() (map[string]any, error) {
		if tbl, ok := w.o.Answers.Steps[step.Title]; ok && !w.interactive() {
			fmt.Fprintf(w.o.Log, "  callback params taken from the answers file\n")
			out := map[string]any{}
			for k, v := range tbl {
				if k != "state" {
					out[k] = v
				}
			}
			return out, nil
		}
		return w.popupFlow(ctx, step)
	})
}

func (w *walker) popupFlow(ctx context.Context, step *manifest.Step) (map[string]any, error) {
	content, err := w.o.Manifest.ResolveURL(step.ContentURL)
	if err != nil {
		return nil, fmt.Errorf("content_url: %w", err)
	}
	cb, err := w.callback()
	if err != nil {
		return nil, err
	}
	state, err := newState(w.o.Rand)
	if err != nil {
		return nil, err
	}
	u, err := sim.WithQuery(content, map[string]any{"state": state, CallbackParam: cb.URL()})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w.o.Log, "  Callback URL (the popup redirects here with the same state): %s\n", cb.URL())
	q, err := w.awaitCallback(ctx, cb, state, "popup", "Open the popup", u, step.Title, "the callback params")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "state" {
			continue
		}
		if vs := q[k]; len(vs) == 1 {
			out[k] = vs[0]
		} else {
			arr := make([]any, len(vs))
			for j, v := range vs {
				arr[j] = v
			}
			out[k] = arr
		}
	}
	return out, nil
}
