// Package selecttest serves options endpoints for tests: correct ones and
// deliberately broken variants of the options contract, one per path, so
// that tests can prove each violation is caught and that the correct
// endpoint raises no false alarm.
//
// Every variant reads its params from meta.params and (except
// /unsigned-ok) answers 500 to a request whose signature does not verify,
// as an SDK-based plugin does. The data is 25 fruits, 10 per page.
package selecttest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// PageSize is the page size of paginated variants.
const PageSize = 10

// Fruits are the options' labels; values are the lower-cased labels.
func Fruits() []string {
	return []string{
		"Apple", "Apricot", "Avocado", "Banana", "Blackberry", "Blueberry", "Cherry",
		"Coconut", "Cranberry", "Date", "Dragon fruit", "Fig", "Grape", "Guava", "Kiwi",
		"Lemon", "Lime", "Mango", "Melon", "Nectarine", "Orange", "Papaya", "Peach",
		"Pear", "Plum",
	}
}

// Variant documents one path: its pagination and what is wrong with it.
type Variant struct {
	Path       string
	Pagination string // none, page or cursor
	Broken     string // "" for a correct endpoint
}

// Variants lists every path the server answers (selected-values paths
// are under /selected/).
func Variants() []Variant {
	return []Variant{
		{"/ok/none", "none", ""},
		{"/ok/page", "page", ""},
		{"/ok/cursor", "cursor", ""},
		{"/non-array", "none", "answers an object instead of an array"},
		{"/missing-label", "none", "an option without label"},
		{"/empty-label", "none", "an option with an empty label"},
		{"/label-number", "none", "an option whose label is a number"},
		{"/value-object", "none", "an option whose value is an object"},
		{"/disabled-string", "none", "an option whose isDisabled is a string"},
		{"/invalid-json", "none", "answers invalid JSON"},
		{"/html", "none", "answers an HTML page with status 200"},
		{"/huge", "none", "answers a 50 MB page"},
		{"/repeat-values", "page", "page 2 repeats a value of page 1"},
		{"/repeat-in-page", "none", "a value appears twice in the same answer"},
		{"/page-ignored", "page", "ignores page: always answers page 1"},
		{"/after-empty", "page", "answers options again after an empty page"},
		{"/endless/page", "page", "never answers an empty page"},
		{"/500-on-3", "page", "answers 500 on page 3"},
		{"/hang-on-2", "page", "never answers page 2"},
		{"/slow", "page", "takes 60ms per page"},
		{"/unsigned-ok", "page", "answers without checking the signature"},
		{"/cursor-loop", "cursor", "the third cursor repeats the first"},
		{"/cursor-object", "cursor", "the cursor is an object"},
		{"/cursor-same-page", "cursor", "new cursors but the same page"},
		{"/cursor-array", "cursor", "answers a bare array with cursor pagination"},
		{"/endless/cursor", "cursor", "never ends"},
		{"/search-ignored", "page", "ignores search"},
		{"/search-breaks", "page", "answers 500 to unicode, spaces, %&?= and empty search terms"},
		{"/search-lost", "page", "ignores page while searching"},
		{"/search-misses", "page", "answers nothing to every search"},
		{"/hostile-bytes", "none", "answers raw terminal escapes and invalid UTF-8 in a label (invalid JSON)"},
		{"/hostile-labels", "none", "labels and values hold escaped terminal escapes, separators and a huge label"},
		{"/gzip", "none", "answers gzip bytes without being asked to"},
		{"/truncated", "none", "answers 200 with a cut JSON object"},
		{"/drip", "none", "answers 200, then one byte every 50ms, never ending"},
		{"/not-http", "none", "answers garbage that is not HTTP (HTTP/0.9 or another protocol)"},
		{"/tls-alert", "none", "answers a TLS alert, as a TLS server does to plain HTTP"},
		{"/unsigned-empty", "page", "answers [] (200) to calls whose signature does not verify"},
		{"/unsigned-redirect", "page", "answers a redirect to calls whose signature does not verify"},
	}
}

// HostileBytes is /hostile-bytes's answer: raw ESC, BEL and an invalid
// UTF-8 byte that would recolour and retitle a terminal.
const HostileBytes = "[{\"label\":\"\xff\x1b[31mRED\x1b]0;pwned\x07\",\"value\":\"red\"}]"

// hijack takes the connection over and writes raw bytes to it.
func hijack(w http.ResponseWriter, raw string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeJSON(w, 500, map[string]any{"message": "cannot hijack"})
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString(raw)
	_ = buf.Flush()
}

// SelectedVariants are the selected-values paths.
func SelectedVariants() []Variant {
	return []Variant{
		{"/selected/ok", "", ""},
		{"/selected/wrong-label", "", "answers another label"},
		{"/selected/crash-unknown", "", "answers 500 to an unknown value"},
		{"/selected/null", "", "answers null to everything"},
		{"/selected/first-only", "", "answers only the first value of an array, as an object"},
	}
}

// HugeSize is the size of /huge's answer.
const HugeSize = 50 << 20

// Server is the handler. Secret is what signatures must verify with.
type Server struct {
	Secret string
	// Slow is the delay of /slow (default 60ms).
	Slow time.Duration

	hanging atomic.Int32
}

// New returns the test server's handler.
func New(secret string) *Server { return &Server{Secret: secret, Slow: 60 * time.Millisecond} }

type option struct {
	Label      any `json:"label,omitempty"`
	Value      any `json:"value"`
	IsDisabled any `json:"isDisabled,omitempty"`
}

func fruitOptions() []option {
	fs := Fruits()
	out := make([]option, len(fs))
	for i, f := range fs {
		out[i] = option{Label: f, Value: strings.ToLower(f)}
	}
	return out
}

// HangingPath answers (GET, unsigned) how many requests /hang-on-2 holds
// right now, so that a test can act once the walk is stuck there.
const HangingPath = "/debug/hanging"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HangingPath {
		writeJSON(w, 200, s.hanging.Load())
		return
	}
	switch r.URL.Path {
	case "/unsigned-empty", "/unsigned-redirect":
		params, ok := s.read(httptest.NewRecorder(), r, true)
		if !ok {
			if r.URL.Path == "/unsigned-empty" {
				writeJSON(w, 200, []option{})
				return
			}
			w.Header().Set("Location", "/login")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		writeJSON(w, 200, pageSlice(fruitOptions(), pageOf(params)))
		return
	}
	params, ok := s.read(w, r, r.URL.Path != "/unsigned-ok")
	if !ok {
		return
	}
	all := fruitOptions()
	page := pageOf(params)
	search, hasSearch := params["search"].(string)
	filtered := filter(all, search)
	switch r.URL.Path {
	case "/ok/none":
		writeJSON(w, 200, filtered)
	case "/ok/page", "/unsigned-ok":
		writeJSON(w, 200, pageSlice(filtered, page))
	case "/ok/cursor":
		off := cursorOf(params)
		data := pageSlice(filtered, off/PageSize+1)
		writeJSON(w, 200, map[string]any{"data": data, "cursor": nextCursor(off, len(filtered))})
	case "/non-array":
		writeJSON(w, 200, map[string]any{"options": all})
	case "/missing-label":
		all[3].Label = nil
		writeJSON(w, 200, all)
	case "/empty-label":
		all[4].Label = "" // a non-nil interface: kept by omitempty
		writeJSON(w, 200, all)
	case "/label-number":
		all[2].Label = 42
		writeJSON(w, 200, all)
	case "/value-object":
		all[5].Value = map[string]any{"id": 5}
		writeJSON(w, 200, all)
	case "/disabled-string":
		all[6].IsDisabled = "yes"
		writeJSON(w, 200, all)
	case "/invalid-json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"label": "Apple", "value": "apple"}, {"label": "Pear", value: pear}]`)
	case "/html":
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<!doctype html><html><body>Welcome!</body></html>")
	case "/huge":
		writeHuge(w)
	case "/repeat-values":
		p := pageSlice(all, page)
		if page == 2 {
			p[4] = all[1]
		}
		writeJSON(w, 200, p)
	case "/repeat-in-page":
		all[7].Value = all[2].Value // Coconut gets Avocado's value
		writeJSON(w, 200, all)
	case "/page-ignored":
		writeJSON(w, 200, pageSlice(all, 1))
	case "/after-empty":
		switch page {
		case 3:
			writeJSON(w, 200, []option{})
		case 4:
			writeJSON(w, 200, pageSlice(all, 3))
		default:
			writeJSON(w, 200, pageSlice(all, page))
		}
	case "/endless/page":
		writeJSON(w, 200, endless(page))
	case "/endless/cursor":
		off := cursorOf(params)
		writeJSON(w, 200, map[string]any{"data": endless(off/PageSize + 1), "cursor": "c" + strconv.Itoa(off+PageSize)})
	case "/500-on-3":
		if page == 3 {
			writeJSON(w, 500, map[string]any{"message": "boom: cannot read page 3"})
			return
		}
		writeJSON(w, 200, pageSlice(all, page))
	case "/hang-on-2":
		if page == 2 {
			s.hanging.Add(1)
			defer s.hanging.Add(-1)
			<-r.Context().Done()
			return
		}
		writeJSON(w, 200, pageSlice(all, page))
	case "/slow":
		select {
		case <-time.After(s.Slow):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, 200, pageSlice(filtered, page))
	case "/cursor-loop":
		off := cursorOf(params)
		next := off + PageSize
		if off == 2*PageSize {
			next = PageSize // back to the second page's cursor
		}
		writeJSON(w, 200, map[string]any{"data": pageSlice(all, off/PageSize+1), "cursor": "c" + strconv.Itoa(next)})
	case "/cursor-object":
		off := cursorOf(params)
		writeJSON(w, 200, map[string]any{"data": pageSlice(all, off/PageSize+1), "cursor": map[string]any{"next": off + PageSize}})
	case "/cursor-same-page":
		off := cursorOf(params)
		writeJSON(w, 200, map[string]any{"data": pageSlice(all, 1), "cursor": "c" + strconv.Itoa(off+PageSize)})
	case "/cursor-array":
		writeJSON(w, 200, pageSlice(all, 1))
	case "/search-ignored":
		writeJSON(w, 200, pageSlice(all, page))
	case "/search-breaks":
		if hasSearch && (search == "" || strings.ContainsAny(search, " %&?=") || !isASCII(search)) {
			writeJSON(w, 500, map[string]any{"message": "TypeError: cannot read search"})
			return
		}
		writeJSON(w, 200, pageSlice(filtered, page))
	case "/search-lost":
		if hasSearch {
			page = 1
		}
		writeJSON(w, 200, pageSlice(filtered, page))
	case "/search-misses":
		if hasSearch && search != "" {
			writeJSON(w, 200, []option{})
			return
		}
		writeJSON(w, 200, pageSlice(all, page))
	case "/hostile-bytes":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, HostileBytes)
	case "/hostile-labels":
		writeJSON(w, 200, []option{
			{Label: "\x1b[31mRED\x1b]0;pwned\x07 one", Value: "\x1b[2J"},
			{Label: "line\u2028sep \u202eevil", Value: "\x1b[2J"}, // repeats the value
			{Label: "Huge " + strings.Repeat("x", 100_000), Value: "huge"},
			{Label: "\x9b31m C1", Value: map[string]any{"\x1b]0;t\x07": 1}}, // breaks the contract
		})
	case "/gzip":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_ = json.NewEncoder(zw).Encode(all)
		_ = zw.Close()
	case "/truncated":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"message": "oops", `)
	case "/drip":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		for {
			_, _ = io.WriteString(w, " ")
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	case "/not-http":
		hijack(w, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
	case "/tls-alert":
		hijack(w, "\x15\x03\x01\x00\x02\x02\x46")
	case "/selected/ok", "/selected/wrong-label", "/selected/crash-unknown", "/selected/null", "/selected/first-only":
		s.selected(w, r.URL.Path, params["value"], all)
	default:
		writeJSON(w, 404, map[string]any{"message": "no such variant " + r.URL.Path})
	}
}

func (s *Server) selected(w http.ResponseWriter, path string, value any, all []option) {
	find := func(v any) *option {
		// The endless variants' items: "item-N" is labelled "Item N".
		if s, ok := v.(string); ok && strings.HasPrefix(s, "item-") {
			if n, err := strconv.Atoi(strings.TrimPrefix(s, "item-")); err == nil && n > 0 {
				o := option{Label: fmt.Sprintf("Item %d", n), Value: s}
				if path == "/selected/wrong-label" {
					o.Label = fmt.Sprint(o.Label) + " (old)"
				}
				return &o
			}
		}
		for i := range all {
			if all[i].Value == v {
				o := all[i]
				if path == "/selected/wrong-label" {
					o.Label = fmt.Sprint(o.Label) + " (old)"
				}
				return &o
			}
		}
		return nil
	}
	if path == "/selected/null" {
		writeJSON(w, 200, nil)
		return
	}
	switch v := value.(type) {
	case []any:
		if path == "/selected/first-only" && len(v) > 0 {
			writeJSON(w, 200, find(v[0]))
			return
		}
		out := []option{}
		for _, e := range v {
			o := find(e)
			if o == nil && path == "/selected/crash-unknown" {
				writeJSON(w, 500, map[string]any{"message": "TypeError: Cannot read properties of undefined (reading 'label')"})
				return
			}
			if o != nil {
				out = append(out, *o)
			}
		}
		writeJSON(w, 200, out)
	default:
		o := find(v)
		if o == nil {
			if path == "/selected/crash-unknown" {
				writeJSON(w, 500, map[string]any{"message": "TypeError: Cannot read properties of undefined (reading 'label')"})
				return
			}
			writeJSON(w, 200, nil)
			return
		}
		writeJSON(w, 200, o)
	}
}

// read verifies the request like the SDK and returns meta.params.
func (s *Server) read(w http.ResponseWriter, r *http.Request, verify bool) (map[string]any, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 100_000))
	if err != nil {
		writeJSON(w, 500, map[string]any{"message": err.Error()})
		return nil, false
	}
	if verify && !creds.Verify(s.Secret, raw, r.Header.Get(creds.SignatureHeader)) {
		writeJSON(w, 500, map[string]any{"message": "Could not verify meta."})
		return nil, false
	}
	var body struct {
		Meta struct {
			Params map[string]any `json:"params"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		writeJSON(w, 400, map[string]any{"message": "invalid JSON"})
		return nil, false
	}
	if body.Meta.Params == nil {
		body.Meta.Params = map[string]any{}
	}
	return body.Meta.Params, true
}

func pageOf(params map[string]any) int {
	switch v := params["page"].(type) {
	case float64:
		return int(v)
	case string:
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return 1
}

// cursorOf reads the "c<offset>" cursors of the cursor variants.
func cursorOf(params map[string]any) int {
	s, _ := params["cursor"].(string)
	n, err := strconv.Atoi(strings.TrimPrefix(s, "c"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func nextCursor(off, total int) any {
	if off+PageSize >= total {
		return nil
	}
	return "c" + strconv.Itoa(off+PageSize)
}

func pageSlice(list []option, page int) []option {
	start := (page - 1) * PageSize
	if page < 1 || start >= len(list) {
		return []option{}
	}
	return append([]option(nil), list[start:min(start+PageSize, len(list))]...)
}

func filter(list []option, q string) []option {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return list
	}
	out := []option{}
	for _, o := range list {
		if strings.Contains(strings.ToLower(fmt.Sprint(o.Label)), q) {
			out = append(out, o)
		}
	}
	return out
}

func endless(page int) []option {
	out := make([]option, PageSize)
	for i := range out {
		n := (page-1)*PageSize + i + 1
		out[i] = option{Label: fmt.Sprintf("Item %d", n), Value: fmt.Sprintf("item-%d", n)}
	}
	return out
}

func writeHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	if _, err := io.WriteString(w, "["); err != nil {
		return
	}
	written := 1
	for n := 0; written < HugeSize; n++ {
		chunk := fmt.Sprintf(`{"label":"Item %d %s","value":"item-%d"},`, n, strings.Repeat("x", 200), n)
		if _, err := io.WriteString(w, chunk); err != nil {
			return // the client stopped reading
		}
		written += len(chunk)
	}
	_, _ = io.WriteString(w, `{"label":"Last","value":"last"}]`)
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
