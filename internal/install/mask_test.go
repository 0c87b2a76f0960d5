package install

import (
	"reflect"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

func TestIsSecretKey(t *testing.T) {
	tests := map[string]bool{
		"CLIENT_SECRET": true, "ACCESS_TOKEN": true, "accessToken": true, "refresh_token": true,
		"DB_PASSWORD": true, "API_KEY": true, "apiKey": true, "PRIVATE_KEY": true, "AUTH": true,
		"SLACK_WEBHOOK_TOKEN": true, "SESSION": true, "ACCESSTOKEN": true, "clientSecret": true,
		"GREETING": false, "NOTIFY_HOST": false, "VISITOR_TYPE_MAP": false, "MONKEY": false,
		"AUTHOR": false, "KEYBOARD_LAYOUT": false, "ROOM": false, "ACME_CONNECTED": false, "LOCATIONS": false,
	}
	for k, want := range tests {
		if got := IsSecretKey(k); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestMaskConfig(t *testing.T) {
	in := map[string]any{
		"GREETING":     "Hello",
		"ACCESS_TOKEN": "abcdefghijklmnop",
		"PIN":          int64(1234),
		"SHORT_SECRET": "abc",
		"NESTED":       map[string]any{"api_key": "0123456789abcdef", "name": "x"},
		"LIST":         []any{map[string]any{"password": "hunter2hunter2"}},
		"GONE_TOKEN":   nil,
	}
	want := map[string]any{
		"GREETING":     "Hello",
		"ACCESS_TOKEN": creds.Mask("abcdefghijklmnop"),
		"PIN":          "…",
		"SHORT_SECRET": "…",
		"NESTED":       map[string]any{"api_key": creds.Mask("0123456789abcdef"), "name": "x"},
		"LIST":         []any{map[string]any{"password": creds.Mask("hunter2hunter2")}},
		"GONE_TOKEN":   nil,
	}
	got := MaskConfig(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for _, k := range []string{"ACCESS_TOKEN", "SHORT_SECRET"} {
		if got[k] == in[k] {
			t.Errorf("%s not masked", k)
		}
	}
	if in["ACCESS_TOKEN"] != "abcdefghijklmnop" {
		t.Fatal("MaskConfig changed its input")
	}
	if got := SecretKeys(in); !reflect.DeepEqual(got, []string{"ACCESS_TOKEN", "PIN", "SHORT_SECRET"}) {
		t.Fatalf("SecretKeys = %v", got)
	}
}
