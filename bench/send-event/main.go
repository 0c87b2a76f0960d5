// Command send-event-bench is the helper of bench/send-event/run.sh: a
// trivial local plugin to send to, the wrk script that posts one fixed
// signed body, and the report that compares the two throughputs.
//
//	go run ./bench/send-event serve            # prints its URL, serves until killed
//	go run ./bench/send-event wrk-script -secret S -out post.lua
//	go run ./bench/send-event report -send summary.json -wrk wrk.txt
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: send-event-bench serve|wrk-script|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "wrk-script":
		err = wrkScript(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serve runs the trivial plugin: it reads the body and answers 200 with a
// small JSON object, nothing else, so that the client side is measured.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	_ = fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", l.Addr())
	return http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"message":"ok"}`)
	}))
}

// wrkScript writes a wrk Lua script that posts one fixed body, generated
// and signed exactly as send-event would, with send-event's headers.
func wrkScript(args []string) error {
	fs := flag.NewFlagSet("wrk-script", flag.ExitOnError)
	secret := fs.String("secret", "", "client secret")
	event := fs.String("event", "entry_sign_in", "event")
	out := fs.String("out", "post.lua", "script to write")
	bodyOut := fs.String("body-out", "", "also write the body to this file (for send-event --body)")
	_ = fs.Parse(args)
	if *secret == "" {
		return errors.New("-secret required")
	}
	gen := events.NewGenerator(1, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	b := &delivery.Builder{Gen: gen, Install: gen.Install(sim.InstallOptions{}), Secret: *secret, UserAgent: "wrk"}
	d, err := b.Build(*event, "http://unused/")
	if err != nil {
		return err
	}
	var s strings.Builder
	s.WriteString("wrk.method = \"POST\"\n")
	s.WriteString("wrk.body = " + luaString(string(d.Body)) + "\n")
	for k := range d.Header {
		fmt.Fprintf(&s, "wrk.headers[%s] = %s\n", luaString(k), luaString(d.Header.Get(k)))
	}
	if *bodyOut != "" {
		if err := os.WriteFile(*bodyOut, d.Body, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(*out, []byte(s.String()), 0o644)
}

func readSummary(path string) (delivery.LoadSummary, error) {
	var sum delivery.LoadSummary
	raw, err := os.ReadFile(path)
	if err != nil {
		return sum, err
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		return sum, fmt.Errorf("%s: %v", path, err)
	}
	return sum, nil
}

// luaString quotes s as a Lua string literal (decimal escapes for bytes
// that are not plain printable ASCII).
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// report reads send-event's --json load summary and wrk's output and
// prints both throughputs and their ratio.
func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	sendFile := fs.String("send", "", "send-event --count --json output")
	fixedFile := fs.String("fixed", "", "send-event --count --body --json output (optional)")
	wrkFile := fs.String("wrk", "", "wrk output")
	_ = fs.Parse(args)
	sum, err := readSummary(*sendFile)
	if err != nil {
		return err
	}
	wrkOut, err := os.ReadFile(*wrkFile)
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(wrkOut)
	if m == nil {
		return fmt.Errorf("%s: no Requests/sec line", *wrkFile)
	}
	wrkRate, _ := strconv.ParseFloat(string(m[1]), 64)
	if wrkRate <= 0 {
		return errors.New("wrk measured no throughput")
	}
	fmt.Printf("send-event --count: %8.0f deliveries/s  (%d sent, %d done, p50 %gms p99 %gms; every one a fresh event, job id and signature)\n",
		sum.Throughput, sum.Sent, sum.Outcomes.Done, sum.LatencyMS.P50, sum.LatencyMS.P99)
	if *fixedFile != "" {
		fixed, err := readSummary(*fixedFile)
		if err != nil {
			return err
		}
		fmt.Printf("send-event --body:  %8.0f deliveries/s  (one fixed body: the HTTP side alone)\n", fixed.Throughput)
		fmt.Printf("ratio fresh / fixed body: %.2f  (1.0 = generating and signing cost nothing)\n", sum.Throughput/fixed.Throughput)
	}
	fmt.Printf("wrk (one fixed body): %8.0f requests/s\n", wrkRate)
	fmt.Printf("ratio send-event / wrk: %.2f\n", sum.Throughput/wrkRate)
	if sum.Outcomes.Done != sum.Sent {
		return fmt.Errorf("%d of %d deliveries were not done: the numbers are not comparable", sum.Sent-sum.Outcomes.Done, sum.Sent)
	}
	return nil
}
