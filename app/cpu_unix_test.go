//go:build unix

package app

import (
	"syscall"
	"time"
)

// cpuUse is CPU time the process used (user and system) and the wall time
// it was used in.
type cpuUse struct{ cpu, wall time.Duration }

// processCPU reads the process's CPU time so far, and the time now.
func processCPU() cpuUse {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuUse{}
	}
	return cpuUse{time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(time.Now().UnixNano())}
}

func (c cpuUse) since(start cpuUse) cpuUse { return cpuUse{c.cpu - start.cpu, c.wall - start.wall} }

func (c cpuUse) add(d cpuUse) cpuUse { return cpuUse{c.cpu + d.cpu, c.wall + d.wall} }

// cores is how many cores' worth of CPU was used on average.
func (c cpuUse) cores() float64 {
	if c.wall <= 0 {
		return 0
	}
	return c.cpu.Seconds() / c.wall.Seconds()
}
