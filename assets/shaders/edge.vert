// Edges: a ribbon per edge, turned to face the camera, between the two
// end positions that the edge_expand kernel copied out for it.
layout(location = 0) in vec2 aCorner; // x along 0..1, y across -1..1
layout(location = 1) in vec4 iA;      // xyz, w = width
layout(location = 2) in vec4 iB;      // xyz, w = tint code (render.Edge.tintCode)

uniform mat4 uView, uProj;
uniform vec4 uColor; // linear rgb, alpha = opacity
#include "edge_lod.glsl"
out float vAlong;
flat out vec4 vColor;

void main() {
	vec3 a = (uView * vec4(iA.xyz, 1.0)).xyz;
	vec3 b = (uView * vec4(iB.xyz, 1.0)).xyz;
	uint code = uint(iB.w + 0.5);
	float width = iA.w;
	float chance = edgeChance(a, b, uint(gl_InstanceID), width, (code & keepAlways) != 0u);
	if (chance == 0.0) {
		// Out of view, shorter than a pixel or dropped: every corner
		// outside the clip volume, so the rasteriser never sees it.
		gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
		return;
	}
	vec3 p = mix(a, b, aCorner.x);
	vec3 dir = b - a;
	vec3 side = cross(dir, p);
	float len = length(side);
	side = len > 0.0 ? side / len : vec3(0.0, 1.0, 0.0);
	float across = aCorner.y;
	if (uAreaCap > 0.0 && ribbonPixels(a, b, width) < 1.0) {
		// Narrower than a pixel, the ribbon's two long slivers would each
		// cross the same pixels: one triangle of the same area instead,
		// its base at one end (which, by the edge's hash, so that ends
		// look alike), the other triangle of the strip of no area. Only
		// under a cap: smaller graphs keep their look to the pixel.
		float base = float(lodHash(uint(gl_InstanceID)) & 1u);
		across *= aCorner.x == base ? 2.0 : 0.0;
	}
	p += side * across * width * 0.5;
	vAlong = aCorner.x;
	vColor = edgeColor(uColor, code, chance);
	gl_Position = uProj * vec4(p, 1.0);
}
