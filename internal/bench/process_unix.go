//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// PeakRSS returns the peak resident memory of a finished process in bytes,
// or 0 where the system does not say.
func PeakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		if runtime.GOOS == "darwin" {
			return int64(ru.Maxrss) // bytes there
		}
		return int64(ru.Maxrss) * 1024 // kilobytes on Linux and the BSDs
	}
	return 0
}
