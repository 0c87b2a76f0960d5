package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Storage command defaults, as Envoy's SDK documents them.
const (
	DefaultUniqueChars = "0123456789"
	DefaultUniqueSize  = 12
	DefaultUniqueMin   = int64(0)
	DefaultUniqueMax   = int64(1<<53 - 1) // Number.MAX_SAFE_INTEGER
	// DefaultPageSize is how many items one "list" page holds.
	DefaultPageSize = 100
	maxUniqueSize   = 1024
)

// Storage actions.
const (
	ActionGet          = "get"
	ActionSet          = "set"
	ActionSetUnique    = "set_unique"
	ActionSetUniqueNum = "set_unique_num"
	ActionUnset        = "unset"
	ActionList         = "list"
)

// StorageCommand is one command of a storage pipeline, validated.
type StorageCommand struct {
	Action string          `json:"action"`
	Key    string          `json:"key,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"`
	Chars  string          `json:"chars,omitempty"`
	Size   int             `json:"size,omitempty"`
	Min    int64           `json:"min,omitempty"`
	Max    int64           `json:"max,omitempty"`
	Page   int             `json:"page,omitempty"`
}

// MarshalJSON writes the command as the SDK sends it: only the fields of
// its action, every one of them explicit.
func (c StorageCommand) MarshalJSON() ([]byte, error) {
	m := map[string]any{"action": c.Action}
	switch c.Action {
	case ActionList:
		m["page"] = max(c.Page, 1)
	default:
		m["key"] = c.Key
	}
	switch c.Action {
	case ActionSet:
		v := c.Value
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		m["value"] = v
	case ActionSetUnique:
		if c.Chars != "" {
			m["chars"] = c.Chars
		}
		if c.Size > 0 {
			m["size"] = c.Size
		}
	case ActionSetUniqueNum:
		m["min"], m["max"] = c.Min, c.Max
	}
	return json.Marshal(m)
}

// Item is a stored key and its value.
type Item struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// StorageOp is one executed command as the live log shows it.
type StorageOp struct {
	Action string          `json:"action"`
	Key    string          `json:"key,omitempty"`
	Page   int             `json:"page,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"` // set: the value written
	Result json.RawMessage `json:"result"`          // what the command answered
	// Null is true when the result is null: Envoy's SDK then rejects the
	// whole pipeline call.
	Null bool `json:"null,omitempty"`
}

// ParseCommands reads a pipeline's "commands" array the way the platform
// does, with one error naming the first bad command.
func ParseCommands(raw json.RawMessage) ([]StorageCommand, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, &InvalidError{Msg: `the body needs "commands": an array of storage commands`}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &InvalidError{Msg: `"commands" must be an array of storage commands`}
	}
	out := make([]StorageCommand, 0, len(list))
	for i, r := range list {
		c, err := parseCommand(r)
		if err != nil {
			return nil, &InvalidError{Msg: fmt.Sprintf("commands[%d]: %s", i, err)}
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCommand(raw json.RawMessage) (StorageCommand, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return StorageCommand{}, fmt.Errorf("a command must be an object like {\"action\":\"get\",\"key\":\"k\"}")
	}
	var c StorageCommand
	if err := json.Unmarshal(m["action"], &c.Action); err != nil || c.Action == "" {
		return c, fmt.Errorf(`"action" must be one of get, set, set_unique, set_unique_num, unset, list`)
	}
	switch c.Action {
	case ActionGet, ActionSet, ActionSetUnique, ActionSetUniqueNum, ActionUnset:
		if err := json.Unmarshal(m["key"], &c.Key); err != nil || c.Key == "" {
			return c, fmt.Errorf("%s needs a non-empty string \"key\"", c.Action)
		}
	case ActionList:
	default:
		return c, fmt.Errorf("unknown action %q: use get, set, set_unique, set_unique_num, unset or list", c.Action)
	}
	switch c.Action {
	case ActionSet:
		c.Value = json.RawMessage("null")
		if v, ok := m["value"]; ok {
			c.Value = compact(v)
		}
	case ActionSetUnique:
		c.Chars, c.Size = DefaultUniqueChars, DefaultUniqueSize
		if v, ok := m["chars"]; ok && !isNull(v) {
			if err := json.Unmarshal(v, &c.Chars); err != nil || c.Chars == "" {
				return c, fmt.Errorf(`set_unique "chars" must be a non-empty string`)
			}
		}
		if v, ok := m["size"]; ok && !isNull(v) {
			n, err := intOf(v)
			if err != nil || n < 1 || n > maxUniqueSize {
				return c, fmt.Errorf(`set_unique "size" must be a whole number from 1 to %d`, maxUniqueSize)
			}
			c.Size = int(n)
		}
	case ActionSetUniqueNum:
		c.Min, c.Max = DefaultUniqueMin, DefaultUniqueMax
		for name, dst := range map[string]*int64{"min": &c.Min, "max": &c.Max} {
			if v, ok := m[name]; ok && !isNull(v) {
				n, err := intOf(v)
				if err != nil || n > DefaultUniqueMax || n < -DefaultUniqueMax {
					return c, fmt.Errorf(`set_unique_num %q must be a whole number within ±(2^53-1)`, name)
				}
				*dst = n
			}
		}
		if c.Min > c.Max {
			return c, fmt.Errorf("set_unique_num min (%d) is above max (%d)", c.Min, c.Max)
		}
	case ActionList:
		c.Page = 1
		if v, ok := m["page"]; ok && !isNull(v) {
			n, err := intOf(v)
			if err != nil {
				return c, fmt.Errorf(`list "page" must be a whole number (the first page is 1)`)
			}
			if n >= 1 && n < math.MaxInt32 {
				c.Page = int(n)
			}
		}
	}
	return c, nil
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return append(json.RawMessage(nil), v...)
	}
	return b.Bytes()
}

// intOf reads a whole number given as a JSON number or a numeric string.
func intOf(v json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(strings.TrimSpace(s))
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, err
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > float64(DefaultUniqueMax) {
		return 0, fmt.Errorf("not a whole number: %s", n)
	}
	return int64(f), nil
}

// ExecStorage runs a pipeline against the install's storage (installID set)
// or the global storage (global true), atomically: all commands or none.
// The results are one per command: *Item, []Item or nil.
func (db *DB) ExecStorage(installID string, global bool, cmds []StorageCommand, pageSize int) ([]any, []StorageOp, error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	var results []any
	var ops []StorageOp
	run := db.update
	if readOnly(cmds) {
		run = func(fn func(st *State) error) error {
			db.mu.Lock()
			defer db.mu.Unlock()
			return fn(db.st)
		}
	}
	err := run(func(st *State) error {
		sc := st.GlobalStorage
		if !global {
			if err := checkInstall(st, installID); err != nil {
				return err
			}
			sc = st.InstallStorage
		}
		// Work on a copy so that a failing command leaves nothing half done.
		work := cloneScope(sc)
		results = make([]any, 0, len(cmds))
		ops = make([]StorageOp, 0, len(cmds))
		for i, c := range cmds {
			res, op, err := work.exec(c, pageSize)
			if err != nil {
				return &InvalidError{Msg: fmt.Sprintf("commands[%d] (%s %s): %s", i, c.Action, c.Key, err)}
			}
			results = append(results, res)
			ops = append(ops, op)
		}
		*sc = *work
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return results, ops, nil
}

func readOnly(cmds []StorageCommand) bool {
	for _, c := range cmds {
		if c.Action != ActionGet && c.Action != ActionList {
			return false
		}
	}
	return true
}

// StorageItems returns every item of a scope, sorted by key.
func (db *DB) StorageItems(global bool) []Item {
	var out []Item
	db.view(func(st *State) {
		sc := st.InstallStorage
		if global {
			sc = st.GlobalStorage
		}
		out = sc.sorted()
	})
	return out
}

func cloneScope(sc *Scope) *Scope {
	out := newScope()
	for k, v := range sc.Items {
		out.Items[k] = v
	}
	for k, set := range sc.Handed {
		cp := make(map[string]bool, len(set))
		for v := range set {
			cp[v] = true
		}
		out.Handed[k] = cp
	}
	return out
}

func (sc *Scope) sorted() []Item {
	keys := make([]string, 0, len(sc.Items))
	for k := range sc.Items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Item, 0, len(keys))
	for _, k := range keys {
		out = append(out, Item{Key: k, Value: sc.Items[k]})
	}
	return out
}

func itemJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (sc *Scope) exec(c StorageCommand, pageSize int) (any, StorageOp, error) {
	op := StorageOp{Action: c.Action, Key: c.Key}
	var res any
	switch c.Action {
	case ActionGet:
		if v, ok := sc.Items[c.Key]; ok {
			res = &Item{Key: c.Key, Value: v}
		}
	case ActionSet:
		sc.Items[c.Key] = c.Value
		op.Value = c.Value
		res = &Item{Key: c.Key, Value: c.Value}
	case ActionUnset:
		if v, ok := sc.Items[c.Key]; ok {
			delete(sc.Items, c.Key)
			res = &Item{Key: c.Key, Value: v}
		}
	case ActionSetUnique:
		s, err := sc.uniqueString(c.Key, c.Chars, c.Size)
		if err != nil {
			return nil, op, err
		}
		v := itemJSON(s)
		sc.Items[c.Key] = v
		res = &Item{Key: c.Key, Value: v}
	case ActionSetUniqueNum:
		n, err := sc.uniqueNum(c.Key, c.Min, c.Max)
		if err != nil {
			return nil, op, err
		}
		v := json.RawMessage(strconv.FormatInt(n, 10))
		sc.Items[c.Key] = v
		res = &Item{Key: c.Key, Value: v}
	case ActionList:
		op.Page = c.Page
		all := sc.sorted()
		start := (c.Page - 1) * pageSize
		page := []Item{}
		if start < len(all) {
			page = all[start:min(len(all), start+pageSize)]
		}
		res = page
	}
	if item, ok := res.(*Item); ok && item == nil {
		res = nil
	}
	op.Result = itemJSON(res)
	op.Null = res == nil
	return res, op, nil
}

func (sc *Scope) handed(key string) map[string]bool {
	set := sc.Handed[key]
	if set == nil {
		set = map[string]bool{}
		sc.Handed[key] = set
	}
	return set
}

const enumerateLimit = 1 << 20

// uniqueString hands out a random string of size runes from chars that was
// never handed out before under key.
func (sc *Scope) uniqueString(key, chars string, size int) (string, error) {
	alphabet := dedupeRunes(chars)
	set := sc.handed(key)
	space := math.Pow(float64(len(alphabet)), float64(size))
	used := 0
	for v := range set {
		if strings.HasPrefix(v, "s:") {
			used++
		}
	}
	if float64(used) >= space {
		return "", fmt.Errorf("all %.0f values of %d characters from %q were already handed out under this key; use a larger size or more chars", space, size, chars)
	}
	buf := make([]rune, size)
	for try := 0; try < 64; try++ {
		for i := range buf {
			buf[i] = alphabet[rand.IntN(len(alphabet))]
		}
		if s := string(buf); !set["s:"+s] {
			set["s:"+s] = true
			return s, nil
		}
	}
	if space <= enumerateLimit {
		for n := 0; n < int(space); n++ {
			x := n
			for i := size - 1; i >= 0; i-- {
				buf[i] = alphabet[x%len(alphabet)]
				x /= len(alphabet)
			}
			if s := string(buf); !set["s:"+s] {
				set["s:"+s] = true
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("could not find a value of %d characters from %q that was not handed out before; use a larger size", size, chars)
}

// uniqueNum hands out a random whole number in [lo, hi] that was never handed
// out before under key.
func (sc *Scope) uniqueNum(key string, lo, hi int64) (int64, error) {
	set := sc.handed(key)
	span := uint64(hi-lo) + 1
	used := uint64(0)
	for v := range set {
		if strings.HasPrefix(v, "n:") {
			if n, err := strconv.ParseInt(v[2:], 10, 64); err == nil && n >= lo && n <= hi {
				used++
			}
		}
	}
	if used >= span {
		return 0, fmt.Errorf("all %d numbers from %d to %d were already handed out under this key; widen min/max", span, lo, hi)
	}
	for try := 0; try < 64; try++ {
		n := lo + int64(rand.Uint64N(span))
		k := "n:" + strconv.FormatInt(n, 10)
		if !set[k] {
			set[k] = true
			return n, nil
		}
	}
	if span <= enumerateLimit {
		for n := lo; n <= hi; n++ {
			k := "n:" + strconv.FormatInt(n, 10)
			if !set[k] {
				set[k] = true
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("could not find a number from %d to %d that was not handed out before; widen min/max", lo, hi)
}

func dedupeRunes(s string) []rune {
	seen := map[rune]bool{}
	var out []rune
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
