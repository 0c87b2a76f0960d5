package api

import (
	"encoding/json"
	"fmt"
	"github.com/envoy-plugin/envoy-plugin/internal/termtext"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// Event kinds of the live log.
const (
	KindReady         = "ready"          // the simulator listens
	KindLogin         = "login"          // a token was issued at the token endpoint
	KindLoginFailed   = "login_failed"   // the token endpoint refused the credentials
	KindDenied        = "denied"         // a call without a valid bearer token
	KindJobUpdate     = "job_update"     // a PATCH to a job
	KindJobRegistered = "job_registered" // send-event registered a job
	KindJobAnswered   = "job_answered"   // send-event recorded the worker's HTTP answer
	KindTokenIssued   = "token_issued"   // a token for meta.auth
	KindStorage       = "storage"        // a storage pipeline
	KindConfigRead    = "config_read"    // GET install config
	KindConfigWrite   = "config_write"   // PUT install config (or config set)
	KindNotification  = "notification"   // POST notifications
	KindRejected      = "rejected"       // a call the API refused (4xx)
	KindPlugin        = "plugin"         // the plugin process: started, ready, exited
	KindStopped       = "stopped"        // the simulator stopped
)

// EmptyDataMessage is what Envoy's SDK throws when an API answer's data is
// null (or holds a null element): how a missing storage key surfaces.
const EmptyDataMessage = "The data you are looking for may not exist"

// Event is one line of the live log: what the plugin (or another command)
// did against the simulated API. It renders as coloured text or as one
// NDJSON object.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Method  string    `json:"method,omitempty"`
	Path    string    `json:"path,omitempty"`
	Status  int       `json:"status,omitempty"` // the HTTP status answered
	Source  string    `json:"source,omitempty"` // "plugin", or the command that called
	Message string    `json:"message,omitempty"`
	Hint    string    `json:"hint,omitempty"`
	URL     string    `json:"url,omitempty"`

	ClientID  string `json:"client_id,omitempty"`
	ExpiresIn int    `json:"expires_in,omitempty"`

	JobID     string     `json:"job_id,omitempty"`
	JobEvent  string     `json:"event,omitempty"`
	JobStatus string     `json:"job_status,omitempty"` // the job's status after the call
	Update    *JobUpdate `json:"update,omitempty"`

	InstallID string          `json:"install_id,omitempty"`
	Global    bool            `json:"global,omitempty"`
	Storage   []StorageOp     `json:"storage,omitempty"`
	Config    map[string]any  `json:"config,omitempty"`
	Patch     map[string]any  `json:"patch,omitempty"`
	Body      json.RawMessage `json:"body,omitempty"`

	PID      int  `json:"pid,omitempty"`
	ExitCode *int `json:"exit_code,omitempty"`
}

const labelWidth = 8

func (e Event) label(cs *iostreams.ColorScheme) string {
	l := e.Kind
	paint := cs.Cyan
	switch e.Kind {
	case KindLogin:
		paint = cs.Green
	case KindLoginFailed, KindDenied, KindRejected:
		l, paint = "denied", cs.Red
		if e.Kind == KindRejected {
			l = "error"
		}
	case KindJobUpdate, KindJobRegistered, KindJobAnswered:
		l = "job"
	case KindTokenIssued:
		l = "token"
	case KindConfigRead, KindConfigWrite:
		l = "config"
	case KindNotification:
		l = "notify"
	case KindReady, KindStopped:
		paint = cs.Bold
	case KindPlugin:
		paint = cs.Gray
	}
	return paint(fmt.Sprintf("%-*s", labelWidth, l))
}

// WriteText renders the event for people: one line, then indented detail
// lines (attachments, storage commands). Password attachments are masked.
func (e Event) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	ts := e.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	b.WriteString(cs.Gray(ts.Local().Format("15:04:05")) + " " + e.label(cs) + " ")
	indent := strings.Repeat(" ", 9+labelWidth+1)
	var details []string
	switch e.Kind {
	case KindReady:
		b.WriteString("Envoy API simulator ready at " + cs.Bold(e.URL))
		if e.InstallID != "" {
			b.WriteString(cs.Gray(" (install " + e.InstallID + ")"))
		}
	case KindLogin:
		fmt.Fprintf(&b, "%s plugin logged in as %s (token expires in %s)", cs.SuccessIcon(), e.ClientID, time.Duration(e.ExpiresIn)*time.Second)
	case KindLoginFailed, KindDenied, KindRejected:
		fmt.Fprintf(&b, "%s %d %s %s: %s", cs.FailureIcon(), e.Status, clean(e.Method), clean(e.Path), clean(e.Message))
	case KindJobRegistered:
		fmt.Fprintf(&b, "%s registered (%s) by %s, status queued", e.JobID, e.JobEvent, orDefault(e.Source, "send-event"))
	case KindJobAnswered:
		fmt.Fprintf(&b, "%s %s", e.JobID, e.Message)
	case KindTokenIssued:
		fmt.Fprintf(&b, "issued a token for %s (expires in %s)", orDefault(e.Source, "send-event"), time.Duration(e.ExpiresIn)*time.Second)
	case KindJobUpdate:
		b.WriteString(clean(e.JobID) + " ")
		b.WriteString(UpdateSummary(e.Update, cs))
		if e.Update != nil {
			for _, a := range e.Update.Attachments {
				details = append(details, FormatAttachment(a, cs, true))
			}
		}
	case KindStorage:
		scope := "install " + e.InstallID
		if e.Global {
			scope = "global"
		}
		fmt.Fprintf(&b, "%s pipeline, %d command(s)", scope, len(e.Storage))
		if e.Source != "" && e.Source != "plugin" {
			b.WriteString(cs.Gray(" by " + e.Source))
		}
		nulls := 0
		for _, op := range e.Storage {
			details = append(details, formatOp(op, cs))
			if op.Null {
				nulls++
			}
		}
		if nulls > 0 && (e.Source == "" || e.Source == "plugin") {
			details = append(details, cs.Yellow(fmt.Sprintf("%s %d null result(s): as on Envoy, Envoy's SDK rejects this whole pipeline call with %q (isEmptyStorageError); catch it where a key may be missing", cs.WarningIcon(), nulls, EmptyDataMessage)))
		}
	case KindConfigRead:
		fmt.Fprintf(&b, "read install config %s", compactJSON(e.Config))
	case KindConfigWrite:
		fmt.Fprintf(&b, "merged %s → %s", compactJSON(e.Patch), compactJSON(e.Config))
		if e.Source != "" && e.Source != "plugin" {
			b.WriteString(cs.Gray(" by " + e.Source))
		}
	case KindNotification:
		fmt.Fprintf(&b, "notification for install %s: %s", e.InstallID, clean(bounded(string(e.Body))))
	case KindPlugin, KindStopped:
		b.WriteString(e.Message)
	default:
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		details = append(details, cs.Gray(e.Hint))
	}
	b.WriteString("\n")
	for _, d := range details {
		b.WriteString(indent + d + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// clean makes a string the plugin chose safe for one log line on a
// terminal: control characters (newlines, escape sequences) are shown
// escaped instead of acting.
func clean(s string) string { return termtext.Escape(s) }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// UpdateSummary is one job update in a line: status, message, failure reason
// and how many attachments it added.
func UpdateSummary(u *JobUpdate, cs *iostreams.ColorScheme) string {
	if u == nil {
		return ""
	}
	var parts []string
	switch u.Status {
	case StatusDone:
		parts = append(parts, cs.SuccessIcon()+" "+cs.Green("done"))
	case StatusFailed:
		parts = append(parts, cs.FailureIcon()+" "+cs.Red("failed"))
	case StatusIgnored:
		parts = append(parts, cs.Yellow("- ignored"))
	case "":
		if u.StatusMessage != "" {
			parts = append(parts, "update")
		} else {
			parts = append(parts, "attach")
		}
	default:
		parts = append(parts, u.Status)
	}
	if u.StatusMessage != "" {
		parts = append(parts, fmt.Sprintf("%q", bounded(u.StatusMessage)))
	}
	if u.FailureReason != "" {
		parts = append(parts, fmt.Sprintf("(reason: %s)", clean(bounded(u.FailureReason))))
	}
	if n := len(u.Attachments); n > 0 {
		parts = append(parts, cs.Gray(fmt.Sprintf("+%d attachment(s)", n)))
	}
	return strings.Join(parts, " ")
}

// FormatAttachment renders a job attachment as the dashboard shows it, by
// type: text, password (masked when mask is true), json, link and
// credential_image.
func FormatAttachment(a map[string]any, cs *iostreams.ColorScheme, mask bool) string {
	typ, _ := a["type"].(string)
	if typ == "" {
		typ = "text"
	}
	label := fmt.Sprint(a["label"])
	if a["label"] == nil {
		label = "(no label)"
	}
	var val string
	switch typ {
	case "password":
		val = scalarString(a["value"])
		if mask {
			val = strings.Repeat("•", 8)
		}
	case "json":
		val = compactJSON(a["value"])
	case "link":
		val = scalarString(a["value"])
		if u, ok := a["url"].(string); ok && u != "" {
			if val == "" {
				val = u
			} else {
				val += " → " + u
			}
		}
	case "credential_image":
		title := scalarString(a["title"])
		link := ""
		if img, ok := a["image"].(map[string]any); ok {
			link = scalarString(img["link"])
			if t := scalarString(img["type"]); t != "" && link != "" {
				link = t + " " + link
			}
		}
		val = title
		if val == "" {
			val = scalarString(a["value"])
		}
		if link != "" {
			val += " (" + link + ")"
		}
	case "text":
		val = scalarString(a["value"])
	default:
		val = compactJSON(a["value"]) + cs.Yellow(fmt.Sprintf("  (unknown attachment type %q: Envoy shows text, password, json, link, credential_image)", typ))
	}
	return fmt.Sprintf("%s %s: %s", cs.Gray(fmt.Sprintf("%16s", clean(bounded(typ)))), cs.Bold(clean(bounded(label))), clean(bounded(val)))
}

func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return compactJSON(x)
	}
}

// compactJSON is v as one line of JSON, at most about ValueLimit bytes.
func compactJSON(v any) string {
	switch x := v.(type) {
	case json.RawMessage:
		return bounded(string(x))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return bounded(fmt.Sprint(v))
	}
	return bounded(string(b))
}

// ValueLimit bounds each value the live log prints (an attachment, a
// storage value, a notification): a plugin can send megabytes, or JSON
// nested thousands deep, and the log must stay readable and cheap.
const ValueLimit = 2 << 10

// boundedNote is room for bounded's "… (N more bytes)" note.
const boundedNote = 40

// bounded cuts s after ValueLimit bytes, on a rune boundary, saying how
// much was left out. It is idempotent: a value it already cut (ValueLimit
// bytes plus its short "… (N more bytes)" note) is left as it is, so the
// count stays the real one when a caller bounds twice.
func bounded(s string) string {
	if len(s) <= ValueLimit+boundedNote {
		return s
	}
	end := ValueLimit
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + fmt.Sprintf("… (%d more bytes)", len(s)-end)
}

func formatOp(op StorageOp, cs *iostreams.ColorScheme) string {
	res := clean(bounded(string(op.Result)))
	if op.Null {
		res = cs.Yellow("null")
	}
	switch op.Action {
	case ActionSet:
		return fmt.Sprintf("set %s = %s", clean(bounded(op.Key)), clean(bounded(string(op.Value))))
	case ActionList:
		return fmt.Sprintf("list page %d → %s", op.Page, res)
	case ActionGet, ActionUnset, ActionSetUnique, ActionSetUniqueNum:
		if !op.Null && op.Action != ActionUnset {
			// Show only the value for one item.
			var it Item
			if json.Unmarshal(op.Result, &it) == nil {
				res = clean(bounded(string(it.Value)))
			}
		}
		if op.Null {
			if op.Action == ActionGet {
				res += " (not set)"
			} else if op.Action == ActionUnset {
				res += " (was not set)"
			}
		}
		return fmt.Sprintf("%s %s → %s", op.Action, clean(bounded(op.Key)), res)
	}
	return fmt.Sprintf("%s %s → %s", clean(bounded(op.Action)), clean(bounded(op.Key)), res)
}
