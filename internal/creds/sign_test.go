package creds

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
)

// Hard vectors, computed once with OpenSSL (independent of this code):
//
//	printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
//
// The first is also the well-known HMAC_SHA256("key", "The quick brown fox
// jumps over the lazy dog") = f7bc83f4...2d1a3cd8 in hex.
var signVectors = []struct {
	secret, body, want string
}{
	{"key", "The quick brown fox jumps over the lazy dog", "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="},
	{"test-secret", `{"meta":{"event":"entry_sign_in"},"payload":{}}`, "JH0+K19PMZm0MmDfhQTMU8HjhMd/6/KQJRGaQup0XNs="},
	{"s3cr3t-ünïcode", "", "Uv3tBGszaGBnF5SIlnn+l66i0TWTe/bqY674gzxLswE="},
	{"abc", "{\"a\":1}\n", "jIXLw29CnGL3lhIDUUJlBc0zjlpn9MoDATtnE0EctvY="},
}

func TestSignVectors(t *testing.T) {
	for _, v := range signVectors {
		got := Sign(v.secret, []byte(v.body))
		if got != v.want {
			t.Errorf("Sign(%q, %q) = %s, want %s", v.secret, v.body, got, v.want)
		}
		if len(got) != 44 || !strings.HasSuffix(got, "=") {
			t.Errorf("signature %q is not 44 padded base64 characters", got)
		}
		if !Verify(v.secret, []byte(v.body), v.want) {
			t.Errorf("Verify rejects its own vector %q", v.want)
		}
		if Verify(v.secret+"x", []byte(v.body), v.want) || Verify(v.secret, []byte(v.body+" "), v.want) {
			t.Error("Verify accepts a different secret or body")
		}
	}
}

// TestSignMatchesOpenSSL checks random bodies against the openssl binary.
func TestSignMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not found")
	}
	bodies := []string{"", "{}", "{\"meta\":{},\"payload\":{}}\n", strings.Repeat("é\x00\xff", 300)}
	for _, body := range bodies {
		secret := "Zm9vYmFyLXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Njc"
		cmd := exec.Command(openssl, "dgst", "-sha256", "-hmac", secret, "-binary")
		cmd.Stdin = strings.NewReader(body)
		mac, err := cmd.Output()
		if err != nil {
			t.Skipf("openssl dgst failed: %v", err)
		}
		if want, got := base64.StdEncoding.EncodeToString(mac), Sign(secret, []byte(body)); got != want {
			t.Errorf("body %q: Sign = %s, openssl = %s", body, got, want)
		}
	}
}

func TestCheckSignature(t *testing.T) {
	secret, body := "abc", []byte("{\"a\":1}\n")
	good := "jIXLw29CnGL3lhIDUUJlBc0zjlpn9MoDATtnE0EctvY="
	mac, _ := base64.StdEncoding.DecodeString(good)
	tests := []struct {
		name, sig    string
		valid, same  bool
		format, hint string
	}{
		{"exact", good, true, false, FormatBase64, ""},
		{"surrounding whitespace", " " + good + "\n", true, false, FormatBase64, ""},
		{"hex", hex.EncodeToString(mac), false, true, FormatHex, ""},
		{"upper hex", strings.ToUpper(hex.EncodeToString(mac)), false, true, FormatHex, ""},
		{"unpadded", strings.TrimSuffix(good, "="), false, true, FormatBase64Unpadded, ""},
		{"with header name", "X-Envoy-Signature: " + good, false, true, FormatBase64, "header name"},
		{"sha256= prefix", "sha256=" + hex.EncodeToString(mac), false, true, FormatHex, "sha256="},
		{"garbage", "nope", false, false, FormatUnknown, ""},
		{"signed without the newline", Sign(secret, bytes.TrimSpace(body)), false, false, FormatBase64, "without its trailing newline"},
		{"other secret", Sign("abd", body), false, false, FormatBase64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CheckSignature(secret, body, tt.sig)
			if c.Valid != tt.valid || c.SameHMAC != tt.same || c.Format != tt.format {
				t.Errorf("got valid=%v same=%v format=%s (%s), want %v %v %s", c.Valid, c.SameHMAC, c.Format, c.Reason, tt.valid, tt.same, tt.format)
			}
			if c.Expected != good {
				t.Errorf("expected = %s", c.Expected)
			}
			if tt.hint != "" && !strings.Contains(strings.Join(c.Hints, "\n"), tt.hint) {
				t.Errorf("hints %q lack %q", c.Hints, tt.hint)
			}
			if c.Reason == "" {
				t.Error("no reason")
			}
			if strings.Contains(c.Reason+strings.Join(c.Hints, ""), secret+"\"") {
				t.Error("secret in the explanation")
			}
		})
	}
	// base64url is told apart when the value holds - or _.
	fox := []byte("The quick brown fox jumps over the lazy dog")
	foxMAC, _ := base64.StdEncoding.DecodeString(signVectors[0].want)
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding} {
		if c := CheckSignature("key", fox, enc.EncodeToString(foxMAC)); c.Format != FormatBase64URL || !c.SameHMAC || c.Valid {
			t.Errorf("base64url: %+v", c)
		}
	}
	// A JSON body re-serialised without whitespace.
	pretty := []byte("{\n  \"a\": 1\n}")
	c := CheckSignature(secret, pretty, Sign(secret, []byte(`{"a":1}`)))
	if c.Valid || !strings.Contains(strings.Join(c.Hints, "\n"), "whitespace between JSON tokens") {
		t.Errorf("compact JSON hint missing: %+v", c)
	}
}

// FuzzCheckSignature: a signature value from outside never panics the
// checker, only Envoy's exact encoding (up to surrounding whitespace) is
// valid, and the right HMAC in another encoding is recognised as such.
func FuzzCheckSignature(f *testing.F) {
	f.Add("key", []byte(`{"a":1}`), "")
	f.Add("key", []byte("x\n"), "X-Envoy-Signature: sha256=abc")
	f.Add("", []byte{}, "  ==== ")
	f.Fuzz(func(t *testing.T, secret string, body []byte, sig string) {
		want := Sign(secret, body)
		c := CheckSignature(secret, body, sig)
		if c.Valid != (strings.TrimSpace(sig) == want) {
			t.Fatalf("CheckSignature(%q) valid = %v, Sign = %q", sig, c.Valid, want)
		}
		if c.Expected != want || c.Reason == "" {
			t.Fatalf("incomplete check %+v", c)
		}
		if !CheckSignature(secret, body, want).Valid {
			t.Fatal("own signature refused")
		}
		mac, _ := base64.StdEncoding.DecodeString(want)
		for _, other := range []string{hex.EncodeToString(mac), base64.RawURLEncoding.EncodeToString(mac)} {
			if c := CheckSignature(secret, body, other); c.Valid || !c.SameHMAC {
				t.Fatalf("%q: %+v", other, c)
			}
		}
	})
}
