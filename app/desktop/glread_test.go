package desktop

import gl "github.com/go-gl/gl/v3.1/gles2"

// readPixel reads one pixel of the window's framebuffer (origin bottom
// left, as GL has it).
func readPixel(x, y int) [4]uint8 {
	var px [4]uint8
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	gl.ReadPixels(int32(x), int32(y), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(&px[0]))
	return px
}
