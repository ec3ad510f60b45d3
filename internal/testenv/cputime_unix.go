//go:build unix

package testenv

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time this process has used, on every thread. The
// benchmarks report it beside wall time: on a machine shared with other
// work (and with llvmpipe's rasteriser threads), wall time measures the
// neighbours too, CPU time much less.
func CPUTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
