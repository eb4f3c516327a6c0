package bootstrap

import (
	"strings"
	"testing"
)

func TestValueChecks(t *testing.T) {
	tests := []struct {
		kind, value string
		wantErr     string // "" means accepted
	}{
		{"url", "http://localhost:8080/authorization-code/callback", ""},
		{"url", "https://api.example.com", ""},
		{"url", "ftp://example.com", "not an http(s) URL"},
		{"url", "localhost:8080", "not an http(s) URL"},
		{"url", "http://localhost:8080/callback#done", "has a #fragment"},
		{"origin", "http://localhost:8080/x", ""},
		{"origin", "nope", "has no origin"},
		{"email", "silver@example.com", ""},
		{"email", "Silver <silver@example.com>", "not an email address"},
		{"nonempty", " ", "must not be empty"},
		{"nosuch", "x", `unknown check "nosuch"`},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.value, func(t *testing.T) {
			err := check(tt.kind, tt.value)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("check(%q, %q) = %v, want accepted", tt.kind, tt.value, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("check(%q, %q) = %v, want an error containing %q", tt.kind, tt.value, err, tt.wantErr)
			}
		})
	}
}
