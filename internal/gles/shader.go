package gles

import (
	"fmt"
	"strings"

	gl "github.com/go-gl/gl/v3.1/gles2"
)

// Dialect is the GLSL flavour a context speaks.
type Dialect int

const (
	ES310 Dialect = iota // OpenGL ES 3.1: Linux through EGL, Windows through ANGLE; compute shaders
	ES300                // OpenGL ES 3.0: where a platform refuses 3.1; no compute shaders
	GL410                // OpenGL 4.1 core: macOS, and --gl core elsewhere; no compute shaders
)

// header starts every shader: version and default precision.
func (d Dialect) header() string {
	switch d {
	case GL410:
		return "#version 410 core\n"
	case ES300:
		return "#version 300 es\nprecision highp float;\nprecision highp int;\n"
	}
	return "#version 310 es\nprecision highp float;\nprecision highp int;\n"
}

// Compute reports whether the dialect has compute shaders (whether a
// context of it has enough of them is Info.Compute).
func (d Dialect) Compute() bool { return d == ES310 }

func (d Dialect) String() string {
	switch d {
	case GL410:
		return "OpenGL 4.1 core"
	case ES300:
		return "OpenGL ES 3.0"
	}
	return "OpenGL ES 3.1"
}

// Program is a linked shader program.
type Program struct {
	ID   uint32
	Name string
}

// stageNames for messages.
var stageNames = map[uint32]string{gl.VERTEX_SHADER: "vertex", gl.FRAGMENT_SHADER: "fragment", gl.COMPUTE_SHADER: "compute"}

func compile(d Dialect, stage uint32, name, src string, defines map[string]string) (uint32, error) {
	var b strings.Builder
	b.WriteString(d.header())
	for k, v := range defines {
		fmt.Fprintf(&b, "#define %s %s\n", k, v)
	}
	b.WriteString("#line 1\n")
	b.WriteString(src)
	b.WriteByte(0)
	sh := gl.CreateShader(stage)
	cs, free := gl.Strs(b.String())
	gl.ShaderSource(sh, 1, cs, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == 0 {
		log := shaderLog(sh, false)
		gl.DeleteShader(sh)
		return 0, fmt.Errorf("compile %s shader %s: %s", stageNames[stage], name, log)
	}
	return sh, nil
}

func shaderLog(id uint32, program bool) string {
	var n int32
	if program {
		gl.GetProgramiv(id, gl.INFO_LOG_LENGTH, &n)
	} else {
		gl.GetShaderiv(id, gl.INFO_LOG_LENGTH, &n)
	}
	if n <= 1 {
		return "(the driver gave no log)"
	}
	buf := make([]byte, n)
	if program {
		gl.GetProgramInfoLog(id, n, nil, &buf[0])
	} else {
		gl.GetShaderInfoLog(id, n, nil, &buf[0])
	}
	return strings.TrimRight(string(buf), "\x00\n ")
}

func link(name string, shaders ...uint32) (*Program, error) {
	p := gl.CreateProgram()
	for _, sh := range shaders {
		gl.AttachShader(p, sh)
	}
	gl.LinkProgram(p)
	for _, sh := range shaders {
		gl.DetachShader(p, sh)
		gl.DeleteShader(sh)
	}
	var ok int32
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == 0 {
		log := shaderLog(p, true)
		gl.DeleteProgram(p)
		return nil, fmt.Errorf("link program %s: %s", name, log)
	}
	return &Program{ID: p, Name: name}, nil
}

// ComputeProgram builds a compute program from one source.
func ComputeProgram(d Dialect, name, src string, defines map[string]string) (*Program, error) {
	sh, err := compile(d, gl.COMPUTE_SHADER, name, src, defines)
	if err != nil {
		return nil, err
	}
	return link(name, sh)
}

// RenderProgram builds a program from a vertex and a fragment source.
func RenderProgram(d Dialect, name, vert, frag string, defines map[string]string) (*Program, error) {
	vs, err := compile(d, gl.VERTEX_SHADER, name, vert, defines)
	if err != nil {
		return nil, err
	}
	fs, err := compile(d, gl.FRAGMENT_SHADER, name, frag, defines)
	if err != nil {
		gl.DeleteShader(vs)
		return nil, err
	}
	return link(name, vs, fs)
}

// Uniform returns a uniform's location (-1 when the program has none of
// that name, which GL ignores).
func (p *Program) Uniform(name string) int32 {
	return gl.GetUniformLocation(p.ID, gl.Str(name+"\x00"))
}

// Delete frees the program.
func (p *Program) Delete() {
	if p != nil && p.ID != 0 {
		gl.DeleteProgram(p.ID)
		p.ID = 0
	}
}
