// Package creds handles the plugin's client credentials: generating them,
// reading and merging env files, and Envoy's request signature.
package creds

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
