package install

import (
	"strings"
	"unicode"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// secretWords are key-name segments that mark a value as secret.
var secretWords = map[string]bool{
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true, "PASSWORD": true,
	"PASSWD": true, "PWD": true, "PASS": true, "PASSPHRASE": true, "KEY": true, "APIKEY": true,
	"CREDENTIAL": true, "CREDENTIALS": true, "AUTH": true, "AUTHORIZATION": true,
	"SIGNATURE": true, "PRIVATE": true, "SESSION": true, "COOKIE": true, "PIN": true, "OTP": true,
}

// secretSubstrings mark a key as secret wherever they appear, so that run-on
// names like ACCESSTOKEN or clientSecret are caught too.
var secretSubstrings = []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "APIKEY", "PRIVATEKEY", "CREDENTIAL"}

// IsSecretKey guesses from a config key's name whether its value is a
// secret: names made of words such as SECRET, TOKEN, PASSWORD, KEY or AUTH
// (in any case, split at _ - . and camelCase boundaries).
func IsSecretKey(key string) bool {
	up := strings.ToUpper(key)
	for _, s := range secretSubstrings {
		if strings.Contains(up, s) {
			return true
		}
	}
	for _, w := range splitWords(key) {
		if secretWords[strings.ToUpper(w)] {
			return true
		}
	}
	return false
}

func splitWords(key string) []string {
	var words []string
	var cur []rune
	rs := []rune(key)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(rs[i-1]) {
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// MaskValue hides a secret value: long strings keep their first and last
// four characters, anything else becomes "…".
func MaskValue(v any) any {
	if s, ok := v.(string); ok {
		return creds.Mask(s)
	}
	if v == nil {
		return nil
	}
	return "…"
}

// MaskConfig returns a copy of cfg with the values of secret-looking keys
// masked, at any depth.
func MaskConfig(cfg map[string]any) map[string]any {
	if cfg == nil {
		return nil
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		if IsSecretKey(k) {
			out[k] = MaskValue(v)
			continue
		}
		out[k] = maskAny(v)
	}
	return out
}

func maskAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return MaskConfig(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskAny(e)
		}
		return out
	default:
		return v
	}
}

// SecretKeys lists the keys of cfg (top level) that look like secrets.
func SecretKeys(cfg map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(cfg) {
		if IsSecretKey(k) && cfg[k] != nil {
			out = append(out, k)
		}
	}
	return out
}
