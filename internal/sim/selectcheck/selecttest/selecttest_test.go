package selecttest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// Every documented path is served, and unsigned calls are refused except
// by /unsigned-ok.
func TestVariantsAreServed(t *testing.T) {
	s := New("k")
	s.Slow = 0
	body := []byte(`{"meta":{"params":{"page":1}},"payload":{}}`)
	for _, v := range append(Variants(), SelectedVariants()...) {
		switch v.Path {
		case "/huge", "/hang-on-2", "/drip", "/not-http", "/tls-alert", "/unsigned-empty", "/unsigned-redirect":
			continue // exercised by the selectcheck tests
		}
		for _, signed := range []bool{true, false} {
			req := httptest.NewRequest(http.MethodPost, v.Path, bytes.NewReader(body))
			if signed {
				req.Header.Set(creds.SignatureHeader, creds.Sign("k", body))
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			switch {
			case rec.Code == 404:
				t.Fatalf("%s not served", v.Path)
			case !signed && v.Path != "/unsigned-ok" && rec.Code != 500:
				t.Fatalf("%s answered %d unsigned", v.Path, rec.Code)
			case !signed && v.Path == "/unsigned-ok" && rec.Code != 200:
				t.Fatalf("%s answered %d unsigned", v.Path, rec.Code)
			}
		}
	}
}
