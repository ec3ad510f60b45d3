#include "node_shade.glsl"
// Point-sprite nodes: the shape's silhouette and a normal per pixel, lit
// like the meshes.
in vec3 vCentre;
in float vRadius;
in vec4 vColor;
flat in uint vFlags;
flat in uint vShape;
out vec4 outColor;

uniform mat4 uView;

void main() {
	vec2 q = gl_PointCoord * 2.0 - 1.0;
	q.y = -q.y;
	vec3 n;
	if (vShape == 1u) {
		// A cube seen face on, its edges bevelled.
		vec2 a = abs(q) / 0.8;
		if (max(a.x, a.y) > 1.0) discard;
		vec2 bevel = sign(q) * smoothstep(0.7, 1.0, a);
		n = normalize(vec3(bevel, 1.0));
	} else if (vShape == 2u) {
		// An octahedron seen from a vertex: four faces.
		if (abs(q.x) + abs(q.y) > 1.0) discard;
		n = normalize(vec3(sign(q) * 0.6, 1.0));
	} else {
		float r2 = dot(q, q);
		if (r2 > 1.0) discard;
		n = vec3(q, sqrt(1.0 - r2));
	}
	// The sprite faces the camera: its normal is in view space.
	mat3 toWorld = transpose(mat3(uView));
	vec3 nw = normalize(toWorld * n);
	outColor = shade(vCentre + nw * vRadius, nw, vColor, vFlags);
}
