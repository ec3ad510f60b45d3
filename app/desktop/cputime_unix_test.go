//go:build unix

package desktop

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, on every thread: the
// benchmarks report it beside wall time because llvmpipe's rasteriser
// threads share the machine's cores with whatever else runs there, and
// wall time then measures the neighbours too.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
