// Nodes: one instanced mesh (a unit icosphere), placed, sized and shaped
// per instance. Shapes morph the sphere: 1 = cube, 2 = octahedron.
layout(location = 0) in vec3 aPos;
layout(location = 1) in vec4 iPos;    // xyz, w = mass
layout(location = 2) in uvec4 iStyle; // colour rgba8, size (float bits), flags, shape

uniform mat4 uView, uProj;
uniform float uNodeSize;

out vec3 vWorld;
out vec3 vNormal;
out vec4 vColor;
flat out uint vFlags;

vec4 unpack(uint c) {
	return vec4(float(c & 255u), float((c >> 8) & 255u), float((c >> 16) & 255u), float(c >> 24)) / 255.0;
}

void main() {
	vec3 v = aPos;
	vec3 n = aPos;
	if (iStyle.w == 1u) {
		vec3 a = abs(v);
		float m = max(a.x, max(a.y, a.z));
		v = v / m * 0.8;
		n = a.x == m ? vec3(sign(v.x), 0, 0) : a.y == m ? vec3(0, sign(v.y), 0) : vec3(0, 0, sign(v.z));
	} else if (iStyle.w == 2u) {
		v = v / (abs(v.x) + abs(v.y) + abs(v.z)) * 1.3;
		n = normalize(sign(v));
	}
	float size = uNodeSize * uintBitsToFloat(iStyle.y);
	vec3 world = iPos.xyz + v * size;
	vWorld = world;
	vNormal = n;
	vColor = unpack(iStyle.x);
	vFlags = iStyle.z;
	gl_Position = uProj * uView * vec4(world, 1.0);
}
