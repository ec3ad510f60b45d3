package desktop

import (
	"strings"
	"testing"
)

// --engine auto keeps the physics off software rasterisers and contexts
// without compute shaders, and says why.
func TestAutoEngine(t *testing.T) {
	for _, c := range []struct {
		compute  bool
		renderer string
		gpu      bool
		why      string
	}{
		{true, "llvmpipe (LLVM 15.0.6, 256 bits)", false, "software rasteriser"},
		{true, "softpipe", false, "software rasteriser"},
		{true, "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)", false, "software rasteriser"},
		{true, "ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)", false, "software rasteriser"},
		{false, "NVIDIA GeForce RTX 3060/PCIe/SSE2", false, "no compute shaders"},
		{true, "NVIDIA GeForce RTX 3060/PCIe/SSE2", true, ""},
		{true, "AMD Radeon RX 6600 (radeonsi, navi23, LLVM 15.0.6, DRM 3.49, 6.1.0-13-amd64)", true, ""},
		{true, "Mesa Intel(R) UHD Graphics 620 (KBL GT2)", true, ""},
	} {
		gpu, why := autoEngine(c.compute, "OpenGL ES 3.1", c.renderer)
		if gpu != c.gpu || !strings.Contains(why, c.why) {
			t.Errorf("%q (compute %v): gpu %v, %q; want %v, %q", c.renderer, c.compute, gpu, why, c.gpu, c.why)
		}
	}
}

func TestEngineLabel(t *testing.T) {
	_, why := autoEngine(true, "OpenGL ES 3.1", "llvmpipe (LLVM 15.0.6, 256 bits)")
	for _, c := range [][3]string{
		{"cpu", why, "cpu (software GL)"},
		{"cpu", "--engine cpu", "cpu (--engine cpu)"},
		{"gpu", "compute shaders on NVIDIA GeForce RTX 3060", "gpu"},
		{"cpu", "", "cpu"},
	} {
		if got := engineLabel(c[0], c[1]); got != c[2] {
			t.Errorf("engineLabel(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
