package main

import (
	"os"
	"testing"
)

// TestMain removes the binary the process tests built (binary), so that a
// test run leaves nothing in the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
