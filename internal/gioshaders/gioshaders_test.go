package gioshaders

import (
	"os"
	"regexp"
	"testing"

	"gioui.org/shader"
	"gioui.org/shader/gio"
)

func TestEveryShaderGetsGLSL150(t *testing.T) {
	Install()
	all := map[string]*shader.Sources{
		"blit.frag 0": &gio.Shader_blit_frag[0], "blit.frag 1": &gio.Shader_blit_frag[1], "blit.frag 2": &gio.Shader_blit_frag[2],
		"blit.vert": &gio.Shader_blit_vert, "copy.frag": &gio.Shader_copy_frag, "copy.vert": &gio.Shader_copy_vert,
		"cover.frag 0": &gio.Shader_cover_frag[0], "cover.frag 1": &gio.Shader_cover_frag[1], "cover.frag 2": &gio.Shader_cover_frag[2],
		"cover.vert": &gio.Shader_cover_vert, "input.vert": &gio.Shader_input_vert,
		"intersect.frag": &gio.Shader_intersect_frag, "intersect.vert": &gio.Shader_intersect_vert,
		"material.frag": &gio.Shader_material_frag, "material.vert": &gio.Shader_material_vert,
		"simple.frag": &gio.Shader_simple_frag, "stencil.frag": &gio.Shader_stencil_frag, "stencil.vert": &gio.Shader_stencil_vert,
	}
	for name, s := range all {
		if !regexp.MustCompile(`^#version 150\n`).MatchString(s.GLSL150) {
			t.Errorf("%s: GLSL 1.50 source missing or not GLSL 1.50: %.40q", name, s.GLSL150)
		}
	}
}

// The copies must come from the gioui.org/shader that the build uses:
// after an upgrade, go generate ./internal/gioshaders.
func TestCopiedFromTheModuleInUse(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*gioui.org/shader (\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require gioui.org/shader")
	}
	if string(m[1]) != shaderVersion {
		t.Errorf("glsl150.go was made from gioui.org/shader %s, go.mod has %s: run go generate ./internal/gioshaders", shaderVersion, m[1])
	}
}
