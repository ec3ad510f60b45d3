package assets

import (
	"strings"
	"testing"
)

func TestShaderIncludes(t *testing.T) {
	frag := Shader("node.frag")
	if !strings.Contains(frag, "vec4 shade(") || strings.Contains(frag, "#include") {
		t.Errorf("node.frag without its include expanded:\n%s", frag)
	}
	if k := Shader("physics_force.comp"); !strings.Contains(k, Shader("physics_common.glsl")) {
		t.Error("physics_force.comp lacks physics_common.glsl")
	}
	defer func() {
		if recover() == nil {
			t.Error("a missing shader did not panic")
		}
	}()
	Shader("missing.frag")
}
