package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

// formStep asks (or reads) a form step's answers and saves them: through
// the validation URL when there is one (its answer is what is saved), else
// as they are under their keys.
func (w *walker) formStep(ctx context.Context, i int, step *manifest.Step) (map[string]any, string, error) {
	var prev map[string]any
	for attempt := 1; ; attempt++ {
		var answers map[string]any
		var err error
		if w.interactive() {
			answers, err = w.askForm(ctx, step, prev)
		} else {
			answers, err = w.formAnswers(ctx, step)
		}
		if err != nil {
			var se *StepError
			if errors.As(err, &se) || errors.Is(err, prompt.ErrCancelled) || errors.Is(err, context.Canceled) {
				return nil, "", err
			}
			return nil, "", &StepError{Number: i + 1, Title: step.Title, Reason: "input", Err: err}
		}
		if step.ValidationURL == "" {
			return answers, "answers", nil
		}
		o, err := w.validate(ctx, step, answers)
		if err != nil {
			return nil, "", err
		}
		switch o.Result {
		case Saved:
			return o.Patch, "validation_url", nil
		case Blocked:
			if !w.interactive() {
				return nil, "", blocked(i, step, o, "change the answers of this step in the answers file")
			}
			w.showBlocked(o)
			if attempt >= maxAttempts {
				return nil, "", blocked(i, step, o, fmt.Sprintf("gave up after %d attempts", attempt))
			}
			prev = answers
			fmt.Fprintf(w.o.Log, "Change your answers and try again.\n")
		default:
			if !w.interactive() {
				return nil, "", failure(i, step, o)
			}
			fmt.Fprintf(w.o.Log, "%s %s\n", w.o.CS.FailureIcon(), o.Describe())
			again, err := w.o.Prompter.Confirm("The plugin failed. Try this step again?", true)
			if err != nil {
				return nil, "", err
			}
			if !again || attempt >= maxAttempts {
				return nil, "", failure(i, step, o)
			}
			prev = answers
		}
	}
}

// prefill is the value a field starts with: the previous attempt's answer,
// else the install's saved value, else the manifest's default.
func (w *walker) prefill(f *manifest.Field, prev map[string]any) (any, bool) {
	if v, ok := prev[f.Key]; ok {
		return v, true
	}
	if v, ok := w.config[f.Key]; ok && v != nil {
		return v, true
	}
	if f.Default != nil {
		return f.Default, true
	}
	return nil, false
}

// showStatic prints an info or link field (what the installer reads in the
// form) and reports whether f was one: those fields have no answer.
func (w *walker) showStatic(f *manifest.Field) bool {
	switch f.Type {
	case manifest.FieldInfo:
		if f.Text != "" {
			fmt.Fprintf(w.o.Log, "  %s\n", f.Text)
		}
		return true
	case manifest.FieldLink:
		fmt.Fprintf(w.o.Log, "  %s: %s\n", linkLabel(f), f.URL)
		return true
	}
	return false
}

// formAnswers reads a form step's values from the answers file, checking
// each against its field's type.
func (w *walker) formAnswers(ctx context.Context, step *manifest.Step) (map[string]any, error) {
	out := map[string]any{}
	for fi := range step.Fields {
		f := &step.Fields[fi]
		if w.showStatic(f) {
			continue
		}
		if f.Key == "" {
			continue
		}
		v, given := w.o.Answers.Values[f.Key]
		if !given {
			v, given = w.prefill(f, nil)
		}
		if !given {
			switch {
			case f.Type == manifest.FieldText && f.Required:
				return nil, fmt.Errorf("%s is required: add %s = \"...\" to the answers file", f.Key, f.Key)
			case f.Type == manifest.FieldCheckbox:
				v = false
			default:
				continue
			}
		}
		nv, err := checkValue(f, v)
		if err != nil {
			return nil, fmt.Errorf("answers file: %s: %w", f.Key, err)
		}
		if _, fromFile := w.o.Answers.Values[f.Key]; fromFile {
			w.checkOffered(ctx, f, nv)
		}
		out[f.Key] = nv
	}
	return out, nil
}

// checkValue checks an answer against a field's type.
func checkValue(f *manifest.Field, v any) (any, error) {
	switch f.Type {
	case manifest.FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("a text field takes a string, got %s", typeName(v))
		}
		if f.Required && strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("is required and empty")
		}
		return s, nil
	case manifest.FieldCheckbox:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("a checkbox takes true or false, got %s", typeName(v))
		}
		return b, nil
	case manifest.FieldSelect:
		if !isScalarValue(v) {
			return nil, fmt.Errorf("a select takes one option value (a string or a number), got %s", typeName(v))
		}
		return v, nil
	case manifest.FieldResourceSelect:
		if f.Multiple {
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					if !isScalarValue(e) {
						return nil, fmt.Errorf("a resource id is a string, got %s", typeName(e))
					}
				}
				return x, nil
			case []string:
				out := make([]any, len(x))
				for i, e := range x {
					out[i] = e
				}
				return out, nil
			default:
				if isScalarValue(v) {
					return []any{v}, nil
				}
			}
			return nil, fmt.Errorf("a multiple resource_select takes an array of ids, got %s", typeName(v))
		}
		if !isScalarValue(v) {
			return nil, fmt.Errorf("a resource_select takes one id, got %s", typeName(v))
		}
		return v, nil
	case manifest.FieldMapping:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf(`a mapping takes a table of left value = right value, as in { visitor = "badge-blue" }, got %s`, typeName(v))
		}
		target := f.Target
		out := map[string]any{}
		for k, rv := range m {
			if target != nil {
				nv, err := checkValue(target, rv)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				rv = nv
			}
			out[k] = rv
		}
		return out, nil
	default:
		return v, nil
	}
}

func isScalarValue(v any) bool {
	switch v.(type) {
	case string, int64, int, float64, json.Number:
		return true
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, int, float64, json.Number:
		return "a number"
	case []any, []string:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func linkLabel(f *manifest.Field) string {
	if f.Label != "" {
		return f.Label
	}
	return "Link"
}

func fieldTitle(f *manifest.Field) string {
	t := f.Label
	if t == "" {
		t = f.Key
	}
	if f.Required {
		t += " *"
	}
	return t
}

// askForm prompts for every field of a form step.
func (w *walker) askForm(ctx context.Context, step *manifest.Step, prev map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for fi := range step.Fields {
		f := &step.Fields[fi]
		if w.showStatic(f) {
			if f.Type == manifest.FieldLink && w.o.OpenBrowser != nil && f.URL != "" {
				open, err := w.o.Prompter.Confirm(fmt.Sprintf("Open %q in your browser?", linkLabel(f)), false)
				if err != nil {
					return nil, err
				}
				if open {
					if err := w.o.OpenBrowser(f.URL); err != nil {
						fmt.Fprintf(w.o.Log, "%s could not open a browser (%v)\n", w.o.CS.WarningIcon(), err)
					}
				}
			}
			continue
		}
		if f.Key == "" {
			continue
		}
		def, _ := w.prefill(f, prev)
		v, err := w.askField(ctx, f.Key, f, def, nil)
		if err != nil {
			return nil, err
		}
		out[f.Key] = v
	}
	return out, nil
}

// askField prompts for one field's value. parent is the left value when f
// is the right side of a mapping.
func (w *walker) askField(ctx context.Context, key string, f *manifest.Field, def any, parent any) (any, error) {
	p := w.o.Prompter
	switch f.Type {
	case manifest.FieldText:
		d, _ := def.(string)
		// An empty answer keeps the default (Enter), so an optional field
		// with a default takes a single "-" for "leave it empty"; the
		// description line says so. A required field has no such escape.
		clearable := !f.Required && d != ""
		clear := func(s string) string {
			if clearable && strings.TrimSpace(s) == emptyAnswer {
				return ""
			}
			return s
		}
		validate := func(s string) error {
			if f.Required && strings.TrimSpace(s) == "" {
				return fmt.Errorf("%s is required", fieldTitle(f))
			}
			return nil
		}
		var desc []string
		if f.Placeholder != "" {
			desc = append(desc, "e.g. "+f.Placeholder)
		}
		if clearable {
			desc = append(desc, fmt.Sprintf("Enter keeps %q; %s leaves it empty", d, emptyAnswer))
		}
		for n := 0; ; n++ {
			v, err := p.Input(fieldTitle(f), strings.Join(desc, "; "), d, validate)
			if err != nil {
				return nil, err
			}
			v = clear(v)
			if validate(v) == nil {
				return v, nil
			}
			if n >= maxAttempts {
				return nil, fmt.Errorf("%s is required and was left empty", key)
			}
		}
	case manifest.FieldCheckbox:
		d, _ := def.(bool)
		return p.Confirm(fieldTitle(f), d)
	case manifest.FieldSelect:
		return w.askSelect(ctx, key, f, def, parent)
	case manifest.FieldResourceSelect:
		return w.askResource(f, def)
	case manifest.FieldMapping:
		return w.askMapping(ctx, key, f, def)
	default:
		d := valueString(def)
		return p.Input(fieldTitle(f), fmt.Sprintf("(%s field)", f.Type), d, nil)
	}
}

// emptyAnswer answers an optional text field with a default as empty (an
// empty answer keeps the default).
const emptyAnswer = "-"

// Values of the extra entries of a select prompt. They start with a NUL so
// that no option value can collide with them.
const (
	choiceSearch = "\x00search"
	choiceMore   = "\x00more"
	choiceNone   = "\x00none"
	choiceManual = "\x00manual"
	choiceDone   = "\x00done"
)

// askSelect runs a select whose options come from the plugin's options URL:
// the first page is loaded, then "Search…" sends a search term and "Load
// more…" fetches the next page or cursor, as the dashboard's dropdown does
// while typing and scrolling.
func (w *walker) askSelect(ctx context.Context, key string, f *manifest.Field, def any, parent any) (any, error) {
	v, _, _, err := w.selectFromLoader(ctx, key, f, def, parent, fieldTitle(f), false)
	return v, err
}

// selectFromLoader is askSelect; with done, an extra "Done" entry ends a
// mapping (reported as ok=false). It also returns the picked option's label.
func (w *walker) selectFromLoader(ctx context.Context, key string, f *manifest.Field, def any, parent any, title string, done bool) (any, string, bool, error) {
	p := w.o.Prompter
	l, err := newOptionLoader(w.route, w.o.Manifest, key, f, parent)
	if err != nil {
		return nil, "", false, err
	}
	l.reset("")
	var opts []Option
	var loadErr error
	// focus is the option the cursor starts on after "Load more…": the
	// first new one, as a dropdown scrolled to the bottom shows.
	var focus string
	load := func() {
		page, err := l.next(ctx)
		if err != nil {
			loadErr = err
			fmt.Fprintf(w.o.Log, "%s %v\n", w.o.CS.WarningIcon(), err)
			l.more = false
			return
		}
		loadErr = nil
		focus = ""
		if len(opts) > 0 && len(page) > 0 {
			focus = page[0].ValueString()
		}
		opts = append(opts, page...)
	}
	load()
	// A saved value that is not on the first page: ask the selected-values
	// URL for its label, as the dashboard does.
	var extra *Option
	if def != nil && !containsValue(opts, def) {
		if o, err := lookupSelected(ctx, w.route, w.o.Manifest, key, f, def); err == nil && o != nil {
			extra = o
		} else {
			extra = &Option{Label: valueString(def), Value: def}
		}
	}
	for n := 0; ; n++ {
		var choices []prompt.Option
		byValue := map[string]any{}
		labels := map[string]string{}
		if extra != nil && !containsValue(opts, extra.Value) {
			choices = append(choices, prompt.Option{Label: Printable(extra.Label), Value: extra.ValueString()})
			byValue[extra.ValueString()] = extra.Value
			labels[extra.ValueString()] = extra.Label
		}
		for _, o := range opts {
			if o.Disabled {
				continue
			}
			if _, dup := byValue[o.ValueString()]; dup {
				continue
			}
			choices = append(choices, prompt.Option{Label: Printable(o.Label), Value: o.ValueString()})
			byValue[o.ValueString()] = o.Value
			labels[o.ValueString()] = o.Label
		}
		if l.searchable {
			label := "Search…"
			if l.search != "" {
				label = fmt.Sprintf("Search… (now: %q)", l.search)
			}
			choices = append(choices, prompt.Option{Label: label, Value: choiceSearch})
		}
		if l.hasMore() {
			choices = append(choices, prompt.Option{Label: "Load more…", Value: choiceMore})
		}
		if loadErr != nil || len(byValue) == 0 {
			choices = append(choices, prompt.Option{Label: "Type a value…", Value: choiceManual})
		}
		if done {
			// Last, below "Load more…": the list's own entries come first.
			choices = append(choices, prompt.Option{Label: "Done", Value: choiceDone})
		} else {
			choices = append(choices, prompt.Option{Label: "(none)", Value: choiceNone})
		}
		d := valueString(def)
		if _, ok := byValue[d]; !ok {
			d = ""
			switch {
			case done && len(byValue) > 0:
				d = choices[0].Value // the first option, not Done
			case done:
				d = choiceDone
			case len(byValue) == 0:
				d = choiceNone
			}
		}
		if _, ok := byValue[focus]; ok && focus != "" {
			d = focus
		}
		v, err := p.Select(title, choices, d)
		if err != nil {
			return nil, "", false, err
		}
		if n >= 5*maxAttempts {
			return nil, "", false, fmt.Errorf("%s: no option picked", key)
		}
		focus = ""
		switch v {
		case choiceDone:
			return nil, "", false, nil
		case choiceNone:
			return nil, "", true, nil
		case choiceSearch:
			// No default: an empty answer clears the search and shows
			// the full list again (a default would keep the old term).
			desc := "sent to the options URL as search; empty shows the full list"
			if l.search != "" {
				desc += fmt.Sprintf(" (now: %q)", l.search)
			}
			term, err := p.Input("Search "+fieldTitle(f), desc, "", nil)
			if err != nil {
				return nil, "", false, err
			}
			l.reset(term)
			opts = nil
			load()
		case choiceMore:
			load()
		case choiceManual:
			s, err := p.Input(fieldTitle(f)+": value", "saved as typed", valueString(def), nil)
			if err != nil {
				return nil, "", false, err
			}
			return s, s, true, nil
		default:
			return byValue[v], labels[v], true, nil
		}
	}
}

func containsValue(opts []Option, v any) bool {
	s := valueString(v)
	for _, o := range opts {
		if o.ValueString() == s {
			return true
		}
	}
	return false
}

// askResource picks Envoy resources of the simulated install.
func (w *walker) askResource(f *manifest.Field, def any) (any, error) {
	opts, err := Resources(w.route.Install, f.Resource)
	if err != nil {
		return nil, err
	}
	choices := make([]prompt.Option, len(opts))
	for i, o := range opts {
		choices[i] = prompt.Option{Label: fmt.Sprintf("%s (%s)", o.Label, o.ValueString()), Value: o.ValueString()}
	}
	if f.Multiple {
		var defs []string
		switch x := def.(type) {
		case []any:
			for _, e := range x {
				defs = append(defs, valueString(e))
			}
		case []string:
			defs = x
		case nil:
		default:
			defs = []string{valueString(x)}
		}
		vs, err := w.o.Prompter.MultiSelect(fieldTitle(f), choices, defs)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(vs))
		for i, v := range vs {
			out[i] = v
		}
		return out, nil
	}
	return w.o.Prompter.Select(fieldTitle(f), choices, valueString(def))
}

// askMapping builds a mapping: pick a left option, then a right value of
// the target's type (its options URL gets parent_resource_id), repeat until
// Done.
func (w *walker) askMapping(ctx context.Context, key string, f *manifest.Field, def any) (any, error) {
	out := map[string]any{}
	if m, ok := def.(map[string]any); ok {
		maps.Copy(out, m)
	}
	target := f.Target
	if target == nil {
		target = &manifest.Field{Type: manifest.FieldText}
	}
	// Labels of the picked options, shown in the "so far" list (values
	// saved before this walk show as they are).
	leftLabels, rightLabels := map[string]string{}, map[string]string{}
	for n := 0; n < 5*maxAttempts; n++ {
		if len(out) > 0 {
			fmt.Fprintf(w.o.Log, "  %s so far:\n", fieldTitle(f))
			for _, k := range sortedKeys(out) {
				rv := valueString(out[k])
				fmt.Fprintf(w.o.Log, "    %s → %s\n", Printable(labelled(leftLabels[k], k)), Printable(labelled(rightLabels[k], rv)))
			}
		}
		left, leftLabel, ok, err := w.selectFromLoader(ctx, key, f, nil, nil, fieldTitle(f)+": pick a left option (or Done)", true)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if left == nil {
			continue
		}
		tf := *target
		if tf.Label == "" {
			tf.Label = fmt.Sprintf("Map %s to", Printable(leftLabel))
		}
		lk := valueString(left)
		var right any
		rightLabel := ""
		if tf.Type == manifest.FieldSelect {
			right, rightLabel, _, err = w.selectFromLoader(ctx, key, &tf, out[lk], left, fieldTitle(&tf), false)
		} else {
			right, err = w.askField(ctx, key, &tf, out[lk], left)
		}
		if err != nil {
			return nil, err
		}
		if right == nil {
			delete(out, lk)
			continue
		}
		out[lk] = right
		leftLabels[lk], rightLabels[lk] = leftLabel, rightLabel
	}
	return out, nil
}

// labelled shows an option by its label, with the value in parentheses
// when it says something the label does not.
func labelled(label, value string) string {
	if label == "" || label == value {
		return value
	}
	return fmt.Sprintf("%s (%s)", label, value)
}

// maxCheckPages bounds how many pages of options an answers-file value is
// looked up in.
const maxCheckPages = 20

// checkOffered warns about an answers-file value that the installer could
// not pick in the dashboard: a select value the plugin's options do not
// offer, a resource id the simulated install does not have, a mapping side
// not offered. A warning, not an error: options can depend on a search or
// on more pages than are loaded here, and a walk may feed a stale value on
// purpose to see how the plugin handles it; the validation URL still judges.
func (w *walker) checkOffered(ctx context.Context, f *manifest.Field, v any) {
	warn := func(format string, args ...any) {
		w.offWarnings++
		fmt.Fprintf(w.o.Log, "%s answers file: %s\n", w.o.CS.WarningIcon(), fmt.Sprintf(format, args...))
	}
	// note reports a value that could not be checked because the plugin's
	// options URL failed: the plugin's fault, not the answers file's.
	note := func(err *OptionsError, format string, args ...any) {
		w.unchecked = append(w.unchecked, uncheckedValue{key: f.Key, err: err})
		fmt.Fprintf(w.o.Log, "%s answers file: %s: could not be checked: %v\n", w.o.CS.WarningIcon(), fmt.Sprintf(format, args...), err)
	}
	switch f.Type {
	case manifest.FieldSelect:
		if ok, why, oerr := w.offered(ctx, f.Key, f, v, nil); oerr != nil {
			note(oerr, "%s = %s", f.Key, FormatValue(v))
		} else if !ok {
			warn("%s = %s: %s; an installer could not pick it in Envoy's dashboard", f.Key, FormatValue(v), why)
		}
	case manifest.FieldResourceSelect:
		opts, err := Resources(w.route.Install, f.Resource)
		if err != nil {
			return
		}
		ids := v.([]any)
		if !f.Multiple {
			ids = []any{v}
		}
		for _, id := range ids {
			if !containsValue(opts, id) {
				warn("%s: %s is not one of the simulated install's %s (%s); events carry those ids", f.Key, FormatValue(id), f.Resource, Printable(optionValues(opts)))
			}
		}
	case manifest.FieldMapping:
		m, _ := v.(map[string]any)
		for _, left := range sortedKeys(m) {
			ok, why, oerr := w.offered(ctx, f.Key, f, left, nil)
			switch {
			case oerr != nil:
				note(oerr, "%s: left value %q", f.Key, left)
				continue
			case !ok:
				warn("%s: left value %q: %s", f.Key, left, why)
				continue // its right side cannot be offered either
			}
			if t := f.Target; t != nil && t.Type == manifest.FieldSelect && t.OptionsURL != "" {
				if ok, why, oerr := w.offered(ctx, f.Key, t, m[left], left); oerr != nil {
					note(oerr, "%s: %s = %s (with parent_resource_id %q)", f.Key, left, FormatValue(m[left]), left)
				} else if !ok {
					warn("%s: %s = %s: %s (with parent_resource_id %q)", f.Key, left, FormatValue(m[left]), why, left)
				}
			}
		}
	}
}

// uncheckedValue is an answers-file value whose options URL failed.
type uncheckedValue struct {
	key string
	err *OptionsError
}

// offered looks a value up: the selected-values URL first (what it is
// for), else the options URL's pages. why says what was found instead; a
// failing options URL (transport, status, contract) comes back as oerr:
// the value could not be checked at all.
func (w *walker) offered(ctx context.Context, key string, f *manifest.Field, v any, parent any) (ok bool, why string, oerr *OptionsError) {
	if parent == nil {
		if o, err := lookupSelected(ctx, w.route, w.o.Manifest, key, f, v); err == nil && o != nil && o.ValueString() == valueString(v) {
			return true, "", nil
		}
	}
	l, err := newOptionLoader(w.route, w.o.Manifest, key, f, parent)
	if err != nil {
		return true, "", nil // nothing to check against
	}
	l.reset("")
	n := 0
	for p := 0; p < maxCheckPages && l.hasMore(); p++ {
		page, err := l.next(ctx)
		if err != nil {
			if !errors.As(err, &oerr) {
				oerr = &OptionsError{URL: l.url, Problem: err.Error(), Err: err}
			}
			return false, "", oerr
		}
		for _, o := range page {
			n++
			if o.ValueString() == valueString(v) {
				if o.Disabled {
					return false, "the options URL offers it disabled (isDisabled)", nil
				}
				return true, "", nil
			}
		}
	}
	more := ""
	if l.hasMore() {
		more = fmt.Sprintf(" (first %d pages)", maxCheckPages)
	}
	return false, fmt.Sprintf("not among the %d options the options URL offers%s", n, more), nil
}

func optionValues(opts []Option) string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = o.ValueString()
	}
	return strings.Join(vs, ", ")
}
