//go:build !unix

package desktop

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
