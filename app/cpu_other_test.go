//go:build !unix

package app

import "time"

// cpuUse: no portable way to read a process's CPU time here, so the
// benchmark reports 0 cores.
type cpuUse struct{ cpu, wall time.Duration }

func processCPU() cpuUse                   { return cpuUse{} }
func (c cpuUse) since(start cpuUse) cpuUse { return c }
func (c cpuUse) add(d cpuUse) cpuUse       { return c }
func (c cpuUse) cores() float64            { return 0 }
