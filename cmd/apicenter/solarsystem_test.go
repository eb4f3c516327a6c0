package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/solarsystem"
)

func TestSolarSystemCommandServesAndStops(t *testing.T) {
	outR, outW := io.Pipe()
	errOut := &lockedBuffer{}
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: outW, ErrOut: errOut}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"solar-system", "--addr", "127.0.0.1:0"}, ios)
		outW.Close()
	}()

	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL from stdout: %v", err)
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("stdout = %q, want the URL on 127.0.0.1", line)
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()

	req, _ := http.NewRequest(http.MethodGet, url+"/moons?planet=Jupiter", nil)
	req.Header.Set(solarsystem.SubjectHeader, "00ugold")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /moons: %v", err)
	}
	var moons solarsystem.Moons
	err = json.NewDecoder(resp.Body).Decode(&moons)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || moons.Count != 4 || moons.Moons[2].Name != "Ganymede" {
		t.Fatalf("GET /moons?planet=Jupiter = %d %+v (%v)", resp.StatusCode, moons, err)
	}

	cancel()
	if code := <-done; code != exitcode.OK {
		t.Errorf("exit code after Ctrl-C = %d, want %d", code, exitcode.OK)
	}
	if want := "path=/moons status=200 subject=00ugold"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr does not log %q:\n%s", want, errOut.String())
	}
}

func TestSolarSystemCommandRefusesBadAddr(t *testing.T) {
	tests := []struct {
		addr     string
		wantCode int
		wantErr  string
	}{
		{"0.0.0.0:8082", exitcode.Usage, "not a loopback address"},
		{"192.0.2.1:8082", exitcode.Usage, "not a loopback address"},
		{"8082", exitcode.Usage, "missing port in address"},
		{"localhost:99999", exitcode.Usage, "--addr localhost:99999"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			code := Execute(context.Background(), []string{"solar-system", "--addr", tt.addr}, ios)
			if code != tt.wantCode || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
