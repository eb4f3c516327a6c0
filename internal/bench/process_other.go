//go:build !unix

package bench

import "os"

// PeakRSS returns 0: this system does not report a process's peak memory.
func PeakRSS(*os.ProcessState) int64 { return 0 }
