// Edges: a ribbon per edge, turned to face the camera, between the two
// end positions that the edge_expand kernel copied out for it.
layout(location = 0) in vec2 aCorner; // x along 0..1, y across -1..1
layout(location = 1) in vec4 iA;      // xyz, w = width
layout(location = 2) in vec4 iB;      // xyz, w = tint code (render.Edge.tintCode)

uniform mat4 uView, uProj;
out float vAlong;
flat out uint vTint;

void main() {
	vec3 a = (uView * vec4(iA.xyz, 1.0)).xyz;
	vec3 b = (uView * vec4(iB.xyz, 1.0)).xyz;
	vec3 p = mix(a, b, aCorner.x);
	vec3 dir = b - a;
	vec3 side = cross(dir, p);
	float len = length(side);
	side = len > 0.0 ? side / len : vec3(0.0, 1.0, 0.0);
	p += side * aCorner.y * iA.w * 0.5;
	vAlong = aCorner.x;
	vTint = uint(iB.w + 0.5);
	gl_Position = uProj * vec4(p, 1.0);
}
