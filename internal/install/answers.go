package install

import (
	"errors"
	"fmt"
	"github.com/envoy-plugin/envoy-plugin/internal/suggest"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

// Answers is the --answers file: what an installer would type, for a walk
// without prompts. Form values sit at the top level by field key (config
// keys are unique across steps); an OAuth2 step's token response and a
// popup step's callback params sit in [steps."<step title>"] tables:
//
//	GREETING = "Hello"
//	NOTIFY_HOST = true
//	LOCATIONS = ["12345"]
//	VISITOR_TYPE_MAP = { visitor = "badge-blue" }
//
//	[steps."Connect Acme"]        # the token response, sent to the validation URL
//	access_token = "at-123"
//	token_type = "Bearer"
//
//	[steps."Pick a room"]         # the popup's callback params (without state)
//	ROOM = "101"
type Answers struct {
	// Values are the form answers by field key.
	Values map[string]any
	// Steps are the per-step tables by step title.
	Steps map[string]map[string]any
}

// ParseAnswers reads an answers file. Values are normalised to what JSON can
// carry (integers, floats, strings, booleans, arrays, objects); TOML dates
// and non-finite floats are refused, since no config value can hold them.
func ParseAnswers(data []byte) (*Answers, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, err
	}
	a := &Answers{Values: map[string]any{}, Steps: map[string]map[string]any{}}
	for k, v := range raw {
		if k == "steps" {
			tbl, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf(`"steps" must be a table of step tables, as in [steps."Connect Acme"]`)
			}
			for title, sv := range tbl {
				st, ok := sv.(map[string]any)
				if !ok {
					return nil, fmt.Errorf(`steps.%q must be a table, as in [steps.%q]`, title, title)
				}
				norm, err := normalizeTable(st, "steps."+quoteKey(title))
				if err != nil {
					return nil, err
				}
				a.Steps[title] = norm
			}
			continue
		}
		nv, err := normalize(v, k)
		if err != nil {
			return nil, err
		}
		a.Values[k] = nv
	}
	return a, nil
}

func quoteKey(k string) string { return fmt.Sprintf("%q", k) }

func normalizeTable(m map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		nv, err := normalize(v, path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = nv
	}
	return out, nil
}

// normalize turns decoded TOML into JSON-friendly values.
func normalize(v any, path string) (any, error) {
	switch x := v.(type) {
	case string, bool, int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %v cannot be sent as JSON; use a finite number", path, x)
		}
		return x, nil
	case time.Time:
		return nil, fmt.Errorf("%s: TOML dates are not config values; quote it as a string", path)
	case map[string]any:
		return normalizeTable(x, path)
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normalizeTable(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normalize(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: unsupported value %T", path, v)
	}
}

// Check compares the answers with the manifest: every top-level key must be
// a form field's key, and every [steps."..."] table must name an OAuth2 or
// popup step. Typos would otherwise pass silently in CI.
func (a *Answers) Check(m *manifest.Manifest) error {
	keys := map[string]bool{}
	var keyList []string
	for _, sf := range m.Fields() {
		if sf.Field.Key != "" && sf.Step.Type == manifest.StepForm {
			keys[sf.Field.Key] = true
			keyList = append(keyList, sf.Field.Key)
		}
	}
	var problems []string
	for _, k := range sortedKeys(a.Values) {
		if keys[k] {
			continue
		}
		msg := fmt.Sprintf("unknown key %s: no form field has it", k)
		if s := suggest.Closest(k, keyList); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		} else if len(keyList) > 0 {
			msg += " (keys: " + strings.Join(keyList, ", ") + ")"
		}
		problems = append(problems, msg)
	}
	titles := map[string]manifest.StepType{}
	var titleList []string
	for _, st := range m.Steps {
		titles[st.Title] = st.Type
		titleList = append(titleList, st.Title)
	}
	for _, t := range sortedKeys(a.Steps) {
		typ, ok := titles[t]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown step %q in [steps]", t)
			if s := suggest.Closest(t, titleList); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			problems = append(problems, msg)
		case typ == manifest.StepForm:
			problems = append(problems, fmt.Sprintf("[steps.%q] is a form step: put its values at the top level by field key", t))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("answers file: %s", strings.Join(problems, "; "))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
