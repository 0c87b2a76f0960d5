// Package creds handles the plugin's client credentials: generating them,
// reading and merging env files, and Envoy's request signature.
package creds

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// SignatureHeader is the header Envoy puts the signature in.
const SignatureHeader = "X-Envoy-Signature"

// Sign returns the X-Envoy-Signature value for body: standard, padded base64
// of HMAC-SHA256 over the raw bytes, keyed with the client secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is the signature of body under secret, in
// constant time.
func Verify(secret string, body []byte, sig string) bool {
	want := Sign(secret, body)
	return hmac.Equal([]byte(want), []byte(sig))
}

// Signature formats CheckSignature recognises.
const (
	FormatBase64         = "base64"          // what Envoy sends: standard alphabet, padded, 44 characters
	FormatBase64Unpadded = "base64-unpadded" // standard alphabet without the trailing =
	FormatBase64URL      = "base64url"       // - and _ instead of + and /
	FormatHex            = "hex"             // 64 hex digits, as crypto's digest('hex') gives
	FormatUnknown        = "unknown"
)

// SignatureCheck explains how a signature compares with a body's.
type SignatureCheck struct {
	Valid    bool   `json:"valid"`
	Format   string `json:"format"`
	Expected string `json:"expected"`
	// SameHMAC: the signature holds the right HMAC, only encoded in a
	// format Envoy does not use.
	SameHMAC bool     `json:"same_hmac"`
	Reason   string   `json:"reason"`
	Hints    []string `json:"hints,omitempty"`
}

// CheckSignature verifies sig (in constant time) and, when it does not
// match, says why as precisely as it can: another encoding of the right
// HMAC, or the HMAC of a slightly different body or secret.
func CheckSignature(secret string, body []byte, sig string) SignatureCheck {
	c := SignatureCheck{Expected: Sign(secret, body)}
	// Surrounding whitespace is harmless (HTTP parsers drop it); a header
	// name or a "sha256=" prefix is not.
	s := strings.TrimSpace(sig)
	decorated := false
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.EqualFold(strings.TrimSpace(s[:i]), SignatureHeader) {
		s = strings.TrimSpace(s[i+1:])
		decorated = true
		c.Hints = append(c.Hints, "the header name was included; only the value after \""+SignatureHeader+": \" is the signature")
	}
	if strings.HasPrefix(strings.ToLower(s), "sha256=") {
		s = s[len("sha256="):]
		decorated = true
		c.Hints = append(c.Hints, "a \"sha256=\" prefix (GitHub's style) is not part of Envoy's signature")
	}
	mac, format := decodeSignature(s)
	c.Format = format
	want := rawMAC(secret, body)
	switch {
	case format == FormatBase64 && !decorated && Verify(secret, body, s):
		c.Valid = true
		c.Reason = "signature matches"
		return c
	case mac != nil && hmac.Equal(mac, want):
		c.SameHMAC = true
		if format == FormatBase64 {
			c.Reason = "the HMAC is right but the value holds more than the signature: Envoy's SDK compares the header value byte for byte"
		} else {
			c.Reason = fmt.Sprintf("the HMAC is right but encoded as %s: Envoy sends standard base64 with padding (44 characters), and an SDK-based plugin answers 500 \"Input buffers must have the same byte length\" to any other length", format)
		}
		return c
	case mac == nil:
		c.Reason = fmt.Sprintf("not an HMAC-SHA256 in any known encoding (%d characters); Envoy sends standard base64 with padding (44 characters)", len(s))
		return c
	}
	c.Reason = "signature does not match: the body bytes or the secret differ from the ones it was made with"
	if format != FormatBase64 {
		c.Reason += fmt.Sprintf(" (and it is %s, while Envoy sends standard base64 with padding)", format)
	}
	for _, v := range bodyVariants(body) {
		if hmac.Equal(mac, rawMAC(secret, v.body)) {
			c.Hints = append(c.Hints, "it is the signature of the same body "+v.what+": Envoy signs the exact bytes sent")
		}
	}
	if t := strings.TrimSpace(secret); t != secret && hmac.Equal(mac, rawMAC(t, body)) {
		c.Hints = append(c.Hints, "it was made with the secret without its surrounding whitespace: check how the secret is quoted in the env file")
	}
	return c
}

// decodeSignature decodes a 32-byte HMAC from the encodings people use.
func decodeSignature(s string) ([]byte, string) {
	try := func(enc *base64.Encoding) []byte {
		b, err := enc.DecodeString(s)
		if err != nil || len(b) != sha256.Size {
			return nil
		}
		return b
	}
	if len(s) == 2*sha256.Size {
		if b, err := hex.DecodeString(s); err == nil {
			return b, FormatHex
		}
	}
	if b := try(base64.StdEncoding.Strict()); b != nil {
		return b, FormatBase64
	}
	if b := try(base64.RawStdEncoding.Strict()); b != nil {
		return b, FormatBase64Unpadded
	}
	if b := try(base64.URLEncoding.Strict()); b != nil {
		return b, FormatBase64URL
	}
	if b := try(base64.RawURLEncoding.Strict()); b != nil {
		return b, FormatBase64URL
	}
	return nil, FormatUnknown
}

func rawMAC(secret string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}

type bodyVariant struct {
	what string
	body []byte
}

// bodyVariants are the usual ways a body changes between signing and
// sending.
func bodyVariants(body []byte) []bodyVariant {
	var out []bodyVariant
	if t := bytes.TrimRight(body, "\r\n"); len(t) != len(body) {
		out = append(out, bodyVariant{"without its trailing newline (curl -d @file strips newlines; use --data-binary)", t})
	} else {
		out = append(out, bodyVariant{"with a trailing newline (echo adds one)", append(append([]byte{}, body...), '\n')})
	}
	if bytes.Contains(body, []byte("\r\n")) {
		out = append(out, bodyVariant{"with LF instead of CRLF line endings", bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))})
	}
	if json.Valid(body) {
		var buf bytes.Buffer
		if json.Compact(&buf, body) == nil && !bytes.Equal(buf.Bytes(), body) {
			out = append(out, bodyVariant{"with the whitespace between JSON tokens removed (a JSON.stringify of the parsed body, not the bytes sent)", buf.Bytes()})
		}
	}
	return out
}
