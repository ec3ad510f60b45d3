// Arrow heads: a flat triangle per edge at the target end, facing the
// camera, its tip at the target node's surface.
layout(location = 0) in vec2 aCorner; // x along the head 0..1 (1 = tip), y across -1..1
layout(location = 1) in vec4 iA;      // xyz, w = width
layout(location = 2) in vec4 iB;      // xyz

uniform mat4 uView, uProj;
uniform vec4 uColor;
#include "edge_lod.glsl"
uniform float uLength;   // of the head, layout units
uniform float uTipInset; // the target node's radius
out float vAlong;
flat out vec4 vColor; // arrow heads take the edges' colour

void main() {
	vec3 a = (uView * vec4(iA.xyz, 1.0)).xyz;
	vec3 b = (uView * vec4(iB.xyz, 1.0)).xyz;
	// A head goes with its edge: drawn when the edge is, as opaque.
	float chance = edgeChance(a, b, uint(gl_InstanceID), iA.w, (uint(iB.w + 0.5) & keepAlways) != 0u);
	if (chance == 0.0) {
		gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
		return;
	}
	vec3 dir = b - a;
	float d = length(dir);
	dir = d > 0.0 ? dir / d : vec3(0.0, 0.0, 1.0);
	float len = min(uLength, d * 0.5);
	vec3 tip = b - dir * min(uTipInset, d * 0.5);
	vec3 p = tip - dir * (1.0 - aCorner.x) * len;
	vec3 side = cross(dir, p);
	float sl = length(side);
	side = sl > 0.0 ? side / sl : vec3(0.0, 1.0, 0.0);
	p += side * aCorner.y * max(len * 0.45, iA.w);
	vAlong = 1.0;
	vColor = edgeColor(uColor, 0u, chance);
	gl_Position = uProj * vec4(p, 1.0);
}
