package sample

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/brianvoe/gofakeit/v7/data"
)

// Options routes: every one follows the contract of platform.md ("Setup
// routes"), reading its params from meta.params as Envoy's SDK does.
//
//	/hello-options           page pagination (10 per page), searchable
//	/hello-selected          selected values of /hello-options
//	/colors                  cursor pagination (opaque string cursors, 20 per page), searchable
//	/colors-selected         selected values of /colors
//	/visitor-types           cursor pagination (number cursors, 5 per page): a mapping's left side
//	/visitor-types-selected  selected values of /visitor-types
//	/badge-types             a mapping's right side: options depend on parent_resource_id

// Page sizes of the paginated routes.
const (
	HelloPageSize       = 10
	ColorPageSize       = 20
	VisitorTypePageSize = 5
)

// opt is one option as the routes answer it.
type opt struct {
	Label      string `json:"label"`
	Value      any    `json:"value"`
	IsDisabled *bool  `json:"isDisabled,omitempty"`
}

// hellos are the greetings of /hello-options: value = language code.
func hellos() [][2]string {
	return [][2]string{
		{"en", "Hello (English)"}, {"es", "Hola (Spanish)"}, {"fr", "Bonjour (French)"},
		{"de", "Hallo (German)"}, {"it", "Ciao (Italian)"}, {"pt", "Olá (Portuguese)"},
		{"nl", "Hoi (Dutch)"}, {"sv", "Hej (Swedish)"}, {"nb", "Hei (Norwegian)"},
		{"da", "Hej hej (Danish)"}, {"fi", "Moi (Finnish)"}, {"is", "Halló (Icelandic)"},
		{"pl", "Cześć (Polish)"}, {"cs", "Ahoj (Czech)"}, {"sk", "Dobrý deň (Slovak)"},
		{"hu", "Szia (Hungarian)"}, {"ro", "Salut (Romanian)"}, {"el", "Γειά σου (Greek)"},
		{"tr", "Merhaba (Turkish)"}, {"ru", "Привет (Russian)"}, {"uk", "Привіт (Ukrainian)"},
		{"bg", "Здравей (Bulgarian)"}, {"sr", "Здраво (Serbian)"}, {"hr", "Bok (Croatian)"},
		{"sl", "Živjo (Slovenian)"}, {"lt", "Labas (Lithuanian)"}, {"lv", "Sveiki (Latvian)"},
		{"et", "Tere (Estonian)"}, {"ga", "Dia dhuit (Irish)"}, {"cy", "Helo (Welsh)"},
		{"eu", "Kaixo (Basque)"}, {"ca", "Bon dia (Catalan)"}, {"ar", "مرحبا (Arabic)"},
		{"he", "שלום (Hebrew)"}, {"fa", "سلام (Persian)"}, {"hi", "नमस्ते (Hindi)"},
		{"bn", "নমস্কার (Bengali)"}, {"ja", "こんにちは (Japanese)"}, {"ko", "안녕하세요 (Korean)"},
		{"zh", "你好 (Chinese)"}, {"vi", "Xin chào (Vietnamese)"}, {"th", "สวัสดี (Thai)"},
		{"id", "Halo (Indonesian)"}, {"sw", "Jambo (Swahili)"}, {"haw", "Aloha (Hawaiian)"},
	}
}

type visitorType struct {
	id    int
	label string
}

// visitorTypes are the left side of the mapping: numeric values.
func visitorTypes() []visitorType {
	return []visitorType{
		{101, "Visitor"}, {102, "Contractor"}, {103, "Interview"}, {104, "Delivery"},
		{105, "Vendor"}, {106, "Guest"}, {107, "Family"}, {108, "Student"},
		{109, "Press"}, {110, "Auditor"}, {111, "VIP"}, {112, "Former employee"},
	}
}

func helloOptions() []opt {
	hs := hellos()
	out := make([]opt, len(hs))
	for i, h := range hs {
		out[i] = opt{Label: h[1], Value: h[0]}
	}
	return out
}

// colorOptions are the CSS colour names of the pinned fake-data library,
// labelled with spaces ("AliceBlue" becomes "Alice Blue"). White is
// disabled: unreadable on a white badge.
func colorOptions() []opt {
	names := data.Colors["full"]
	out := make([]opt, 0, len(names))
	for _, n := range names {
		o := opt{Label: splitCamel(n), Value: strings.ToLower(n)}
		if n == "White" {
			t := true
			o.IsDisabled = &t
		}
		out = append(out, o)
	}
	return out
}

func visitorTypeOptions() []opt {
	vts := visitorTypes()
	out := make([]opt, len(vts))
	for i, v := range vts {
		out[i] = opt{Label: v.label, Value: v.id}
	}
	return out
}

// badgeOptions are the right side's options for one visitor type.
func badgeOptions(parent int) []opt {
	for _, v := range visitorTypes() {
		if v.id != parent {
			continue
		}
		key := strings.ToLower(strings.ReplaceAll(v.label, " ", "-"))
		escort := opt{Label: v.label + ": escorted badge", Value: key + "-escorted"}
		if v.id == 112 || v.id == 106 {
			t := true // former employees and guests are never escorted
			escort.IsDisabled = &t
		}
		return []opt{
			{Label: v.label + ": standard badge", Value: key + "-standard"},
			escort,
			{Label: v.label + ": day pass", Value: key + "-day-pass"},
		}
	}
	return []opt{}
}

func splitCamel(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (p *Plugin) registerOptions() {
	hello := helloOptions()
	colors := colorOptions()
	vtypes := visitorTypeOptions()

	p.mux.HandleFunc("/hello-options", p.route(func(w http.ResponseWriter, params map[string]any) {
		page, err := pageParam(params)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": err.Error()})
			return
		}
		list := filter(hello, searchParam(params))
		start := (page - 1) * HelloPageSize
		if start >= len(list) {
			writeJSON(w, http.StatusOK, []opt{})
			return
		}
		writeJSON(w, http.StatusOK, list[start:min(start+HelloPageSize, len(list))])
	}))
	p.mux.HandleFunc("/hello-selected", p.selected(hello))

	p.mux.HandleFunc("/colors", p.route(func(w http.ResponseWriter, params map[string]any) {
		list := filter(colors, searchParam(params))
		off, err := colorCursor(params["cursor"])
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": err.Error()})
			return
		}
		end := min(off+ColorPageSize, len(list))
		var next any
		if end < len(list) {
			next = base64.RawURLEncoding.EncodeToString([]byte("colors:" + strconv.Itoa(end)))
		}
		page := []opt{}
		if off < len(list) {
			page = list[off:end]
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": page, "cursor": next})
	}))
	p.mux.HandleFunc("/colors-selected", p.selected(colors))

	p.mux.HandleFunc("/visitor-types", p.route(func(w http.ResponseWriter, params map[string]any) {
		off := 0
		if c, ok := params["cursor"]; ok && c != nil {
			n, ok := intParam(c)
			if !ok || n < 0 {
				writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("invalid cursor %v", c)})
				return
			}
			off = n
		}
		end := min(off+VisitorTypePageSize, len(vtypes))
		var next any
		if end < len(vtypes) {
			next = end // a number cursor: the next offset (never 0)
		}
		page := []opt{}
		if off < len(vtypes) {
			page = vtypes[off:end]
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": page, "cursor": next})
	}))
	p.mux.HandleFunc("/visitor-types-selected", p.selected(vtypes))

	p.mux.HandleFunc("/badge-types", p.route(func(w http.ResponseWriter, params map[string]any) {
		raw, ok := params["parent_resource_id"]
		if !ok || raw == nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "parent_resource_id is required: pick a visitor type first"})
			return
		}
		n, ok := intParam(raw)
		if !ok {
			writeJSON(w, http.StatusOK, []opt{})
			return
		}
		writeJSON(w, http.StatusOK, badgeOptions(n))
	}))
}

// route verifies the request as the SDK does and hands meta.params over.
func (p *Plugin) route(h func(w http.ResponseWriter, params map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := p.verify(w, r)
		if req == nil {
			return
		}
		params, _ := req.Meta["params"].(map[string]any)
		if params == nil {
			params = map[string]any{}
		}
		h(w, params)
	}
}

// selected answers params.value: one value gives one option (or null when
// unknown), an array gives the array of the known ones.
func (p *Plugin) selected(list []opt) http.HandlerFunc {
	byValue := map[string]opt{}
	for _, o := range list {
		byValue[fmt.Sprint(o.Value)] = o
	}
	lookup := func(v any) (opt, bool) {
		switch x := v.(type) {
		case string:
			o, ok := byValue[x]
			return o, ok
		case float64:
			if x == math.Trunc(x) {
				o, ok := byValue[strconv.FormatInt(int64(x), 10)]
				return o, ok
			}
		}
		return opt{}, false
	}
	return p.route(func(w http.ResponseWriter, params map[string]any) {
		switch v := params["value"].(type) {
		case []any:
			out := []opt{}
			for _, e := range v {
				if o, ok := lookup(e); ok {
					out = append(out, o)
				}
			}
			writeJSON(w, http.StatusOK, out)
		default:
			if o, ok := lookup(v); ok {
				writeJSON(w, http.StatusOK, o)
				return
			}
			writeJSON(w, http.StatusOK, nil)
		}
	})
}

// searchParam is params.search, lower-cased; "" when absent.
func searchParam(params map[string]any) string {
	s, _ := params["search"].(string)
	return strings.ToLower(strings.TrimSpace(s))
}

// filter keeps the options whose label contains q, case-insensitively.
func filter(list []opt, q string) []opt {
	if q == "" {
		return list
	}
	var out []opt
	for _, o := range list {
		if strings.Contains(strings.ToLower(o.Label), q) {
			out = append(out, o)
		}
	}
	return out
}

// pageParam reads params.page: a number or a numeric string, first page 1;
// absent means 1.
func pageParam(params map[string]any) (int, error) {
	raw, ok := params["page"]
	if !ok || raw == nil {
		return 1, nil
	}
	n, ok := intParam(raw)
	if !ok || n < 1 {
		return 0, fmt.Errorf("invalid page %v: pages are numbered from 1", raw)
	}
	return n, nil
}

// intParam reads a whole number sent as a JSON number or a string.
func intParam(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || x > math.MaxInt32 || x < math.MinInt32 {
			return 0, false
		}
		return int(x), true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

// colorCursor decodes the opaque cursor of /colors (absent: start).
func colorCursor(v any) (int, error) {
	if v == nil {
		return 0, nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("invalid cursor %v", v)
	}
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "colors:") {
		return 0, fmt.Errorf("invalid cursor %q", s)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "colors:"))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid cursor %q", s)
	}
	return n, nil
}
