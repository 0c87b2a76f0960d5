// Command test-select-bench compares test-select's real walker with a
// minimal Go loop doing only the same HTTP calls, in one run, on a local
// endpoint of 10,000 cursor pages of 20 options (200,000 options): wall
// time, peak heap in use (sampled) and the child process's max RSS, and
// their ratios.
//
// Each side runs in its own child process (this binary with -mode walker
// or -mode loop) so that their memory is measured apart; the endpoint runs
// in the parent, shared by both. Sides alternate over -runs rounds and the
// medians are compared.
//
//	go run ./bench/test-select            # or bench/test-select/run.sh
//	go run ./bench/test-select -pages 1000 -runs 1
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck"
)

const secret = "bench-secret-0123456789abcdef"

// result is what a child prints on stdout.
type result struct {
	Mode      string  `json:"mode"`
	WallSec   float64 `json:"wall_sec"`
	PeakHeap  uint64  `json:"peak_heap_inuse"`
	Calls     int     `json:"calls"`
	Options   int     `json:"options"`
	MaxRSSKiB int64   `json:"max_rss_kib"` // filled by the parent
	Error     string  `json:"error,omitempty"`
}

func main() {
	mode := flag.String("mode", "", "internal: walker or loop (a child process)")
	target := flag.String("url", "", "internal: the endpoint's base URL")
	pages := flag.Int("pages", 10000, "cursor pages of the endpoint")
	perPage := flag.Int("per-page", 20, "options per page")
	runs := flag.Int("runs", 3, "rounds (each runs both sides once)")
	flag.Parse()
	switch *mode {
	case "walker", "loop":
		res := child(*mode, *target, *pages, *perPage)
		_ = json.NewEncoder(os.Stdout).Encode(res)
		if res.Error != "" {
			os.Exit(1)
		}
		return
	case "":
	default:
		fmt.Fprintf(os.Stderr, "unknown -mode %q\n", *mode)
		os.Exit(2)
	}
	if err := parent(*pages, *perPage, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// ---- the endpoint ----

// server answers /options with cursor pages "c<n>" of perPage options and
// /selected with the options of params.value, verifying signatures as a
// plugin would.
func server(pages, perPage int) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	mux.HandleFunc("/options", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !creds.Verify(secret, body, r.Header.Get(creds.SignatureHeader)) {
			http.Error(w, `{"message":"Could not verify meta."}`, 500)
			return
		}
		page := 1
		if c := r.URL.Query().Get("cursor"); c != "" {
			page, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		b := bufs.Get().(*bytes.Buffer)
		b.Reset()
		b.WriteString(`{"data":[`)
		for i := 0; i < perPage && page <= pages; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			n := (page-1)*perPage + i
			fmt.Fprintf(b, `{"label":"Option %07d","value":"opt-%07d"}`, n, n)
		}
		b.WriteString(`],"cursor":`)
		if page < pages {
			fmt.Fprintf(b, `"c%d"`, page+1)
		} else {
			b.WriteString("null")
		}
		b.WriteString("}")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.Bytes())
		bufs.Put(b)
	})
	mux.HandleFunc("/selected", func(w http.ResponseWriter, r *http.Request) {
		var v struct {
			Meta struct {
				Params struct {
					Value any `json:"value"`
				} `json:"params"`
			} `json:"meta"`
		}
		_ = json.NewDecoder(r.Body).Decode(&v)
		opt := func(x any) any {
			s, _ := x.(string)
			if !strings.HasPrefix(s, "opt-") {
				return nil
			}
			return map[string]string{"label": "Option " + strings.TrimPrefix(s, "opt-"), "value": s}
		}
		w.Header().Set("Content-Type", "application/json")
		if arr, ok := v.Meta.Params.Value.([]any); ok {
			out := []any{}
			for _, x := range arr {
				if o := opt(x); o != nil {
					out = append(out, o)
				}
			}
			_ = json.NewEncoder(w).Encode(out)
			return
		}
		_ = json.NewEncoder(w).Encode(opt(v.Meta.Params.Value))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// ---- the two sides ----

func child(mode, base string, pages, perPage int) result {
	res := result{Mode: mode}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the heap in use, without stopping the world
		defer close(done)
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			if inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64(); inuse > peak.Load() {
				peak.Store(inuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	var err error
	if mode == "walker" {
		res.Calls, res.Options, err = walker(base, pages)
	} else {
		res.Calls, res.Options, err = loop(base, pages)
	}
	res.WallSec = time.Since(start).Seconds()
	close(stop)
	<-done
	res.PeakHeap = peak.Load()
	if err != nil {
		res.Error = err.Error()
	} else if res.Options != pages*perPage {
		res.Error = fmt.Sprintf("walked %d options, want %d", res.Options, pages*perPage)
	}
	return res
}

// walker is test-select's real walker on the endpoint, as
// `envoy-plugin test-select --url BASE/options --pagination cursor
// --selected-values-url BASE/selected --max-pages N` runs it.
func walker(base string, pages int) (int, int, error) {
	client := sim.NewClient(sim.ClientOptions{Timeout: 10 * time.Second, UserAgent: "envoy-plugin/bench"})
	rep := selectcheck.Run(context.Background(), []selectcheck.Target{{
		Key: "BENCH", URL: base + "/options", Pagination: manifest.PaginationCursor, SelectedValuesURL: base + "/selected",
	}}, selectcheck.Options{Client: client, Secret: secret, MaxPages: pages + 1, Slow: time.Minute})
	f := rep.Fields[0]
	if !rep.OK() {
		var msgs []string
		for _, c := range f.Checks {
			if c.Status == selectcheck.Fail {
				msgs = append(msgs, c.Name+": "+c.Message)
			}
		}
		return f.Latency.Calls, f.Options, fmt.Errorf("the walk failed: %s", strings.Join(msgs, "; "))
	}
	return f.Latency.Calls, f.Options, nil
}

// loop makes the same page calls with nothing else: the same signed route
// bodies (meta.params and query string), each answer read and discarded,
// the next cursor known in advance instead of parsed.
func loop(base string, pages int) (int, int, error) {
	in := sim.NewInstall(gofakeit.New(1), sim.InstallOptions{})
	client := &http.Client{Timeout: 10 * time.Second}
	calls := 0
	for page := 1; page <= pages; page++ {
		params := map[string]any{}
		if page > 1 {
			params["cursor"] = "c" + strconv.Itoa(page)
		}
		u, err := sim.WithQuery(base+"/options", params)
		if err != nil {
			return calls, 0, err
		}
		body, err := in.RouteBody("BENCH", params, nil)
		if err != nil {
			return calls, 0, err
		}
		req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return calls, 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(creds.SignatureHeader, creds.Sign(secret, body))
		resp, err := client.Do(req)
		if err != nil {
			return calls, 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		calls++
		if err != nil || resp.StatusCode != 200 {
			return calls, 0, fmt.Errorf("page %d: status %d %v", page, resp.StatusCode, err)
		}
	}
	perPage := 20
	return calls, pages * perPage, nil
}

// ---- the parent ----

func parent(pages, perPage, runs int) error {
	if perPage != 20 {
		return fmt.Errorf("-per-page other than 20 is not supported by the loop side")
	}
	base, closeSrv, err := server(pages, perPage)
	if err != nil {
		return err
	}
	defer closeSrv()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("test-select walk vs minimal loop: %d cursor pages × %d options = %d options, %d rounds, GOMAXPROCS %d\n",
		pages, perPage, pages*perPage, runs, runtime.GOMAXPROCS(0))
	all := map[string][]result{}
	for i := 0; i < runs; i++ {
		order := []string{"loop", "walker"}
		if i%2 == 1 {
			order = []string{"walker", "loop"}
		}
		for _, mode := range order {
			r, err := runChild(self, mode, base, pages, perPage)
			if err != nil {
				return err
			}
			all[mode] = append(all[mode], r)
			fmt.Printf("  round %d %-6s  %6.2fs  %d calls  peak heap %s  max RSS %s\n", i+1, mode, r.WallSec, r.Calls, mib(r.PeakHeap), mib(uint64(r.MaxRSSKiB)*1024))
		}
	}
	l, w := median(all["loop"]), median(all["walker"])
	fmt.Printf("\n%-14s %10s %14s %12s\n", "median", "wall", "peak heap", "max RSS")
	fmt.Printf("%-14s %9.2fs %14s %12s\n", "minimal loop", l.WallSec, mib(l.PeakHeap), mib(uint64(l.MaxRSSKiB)*1024))
	fmt.Printf("%-14s %9.2fs %14s %12s\n", "test-select", w.WallSec, mib(w.PeakHeap), mib(uint64(w.MaxRSSKiB)*1024))
	fmt.Printf("%-14s %9.2fx %13.2fx %11.2fx\n", "ratio", w.WallSec/l.WallSec, float64(w.PeakHeap)/float64(l.PeakHeap), float64(w.MaxRSSKiB)/float64(l.MaxRSSKiB))
	fmt.Printf("\n(the walker also makes %d selected-values calls; it keeps an 8-byte value digest and an 8-byte entry per distinct value, plus map overhead)\n", w.Calls-pages)
	return nil
}

func runChild(self, mode, base string, pages, perPage int) (result, error) {
	cmd := exec.Command(self, "-mode", mode, "-url", base, "-pages", strconv.Itoa(pages), "-per-page", strconv.Itoa(perPage))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("%s child: %v (%v)", mode, err, runErr)
	}
	if r.Error != "" {
		return r, fmt.Errorf("%s child: %s", mode, r.Error)
	}
	r.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	return r, nil
}

func median(rs []result) result {
	pick := func(get func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return result{
		WallSec:   pick(func(r result) float64 { return r.WallSec }),
		PeakHeap:  uint64(pick(func(r result) float64 { return float64(r.PeakHeap) })),
		MaxRSSKiB: int64(pick(func(r result) float64 { return float64(r.MaxRSSKiB) })),
		Calls:     rs[0].Calls,
	}
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
