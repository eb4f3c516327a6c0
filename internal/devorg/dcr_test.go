package devorg

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestDynamicClientRegistration(t *testing.T) {
	f := newOAuthFixture(t)
	register := func(token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/oauth2/v1/clients", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "SSWS "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%d, not JSON: %s", resp.StatusCode, b)
		}
		return resp.StatusCode, out
	}
	errorTests := []struct {
		name, token, body string
		status            int
		key, want         string
	}{
		{"no API token", "", `{"client_name":"x"}`, 401, "errorCode", "E0000011"},
		{"wrong API token", "00wrong", `{"client_name":"x"}`, 401, "errorCode", "E0000011"},
		{"no client_name", testAPIToken, `{"grant_types":["client_credentials"]}`, 400, "error", "invalid_client_metadata"},
		{"code grant without redirect_uris", testAPIToken, `{"client_name":"x"}`, 400, "error", "invalid_redirect_uri"},
		{"unknown auth method", testAPIToken, `{"client_name":"x","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt"}`, 400, "error", "invalid_client_metadata"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := register(tt.token, tt.body)
			if status != tt.status || got[tt.key] != tt.want {
				t.Errorf("got %d %v", status, got)
			}
		})
	}

	// What Mulesoft sends: a confidential client for client credentials.
	status, got := register(testAPIToken, `{"client_name":"orders-api consumer","grant_types":["client_credentials"],"response_types":["token"],"application_type":"service","token_endpoint_auth_method":"client_secret_basic","redirect_uris":[]}`)
	id, _ := got["client_id"].(string)
	secret, _ := got["client_secret"].(string)
	if status != 201 || !strings.HasPrefix(id, prefixApp) || len(id) != 20 || secret == "" || got["client_secret_expires_at"] != 0.0 ||
		got["client_id_issued_at"] == nil || got["client_name"] != "orders-api consumer" || got["application_type"] != "service" ||
		got["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Fatalf("register: %d %v", status, got)
	}
	var app App
	f.org.view(func(st *State) {
		if a := st.Apps[id]; a != nil {
			app = *a
		}
	})
	if app.Status != "ACTIVE" || app.Label != "orders-api consumer" || app.ApplicationType != "service" || len(app.Secrets) != 1 {
		t.Errorf("app in the org: %+v", app)
	}
	// The client is real: it gets a token from the default server.
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: f.defaultIssuer + "/v1/token", Scopes: []string{"api"}, AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := cc.Token(ctxWithClient(t, &http.Client{})); err != nil {
		t.Errorf("token for the registered client: %v", err)
	}

	req, _ := http.NewRequest(http.MethodGet, f.url+"/oauth2/v1/clients/"+id, nil)
	req.Header.Set("Authorization", "SSWS "+testAPIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var read map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&read)
	resp.Body.Close()
	if resp.StatusCode != 200 || read["client_id"] != id || read["client_name"] != "orders-api consumer" {
		t.Errorf("GET client: %d %v", resp.StatusCode, read)
	}

	req, _ = http.NewRequest(http.MethodDelete, f.url+"/oauth2/v1/clients/"+id, nil)
	req.Header.Set("Authorization", "SSWS "+testAPIToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE client: %v %v", resp, err)
	}
	if _, err := cc.Token(ctxWithClient(t, &http.Client{})); err == nil {
		t.Error("a deleted client still gets tokens")
	}

	// A web client defaults to the code grant and client_secret_basic.
	status, got = register(testAPIToken, `{"client_name":"portal","redirect_uris":["https://portal.example.com/cb"]}`)
	if status != 201 || got["application_type"] != "web" || got["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Errorf("web client: %d %v", status, got)
	}
	if gt, _ := got["grant_types"].([]any); len(gt) != 1 || gt[0] != "authorization_code" {
		t.Errorf("web client grant types: %v", got["grant_types"])
	}
}
