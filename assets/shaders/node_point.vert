// Nodes as point sprites, for graphs too large for meshes: one vertex per
// node, sized to the sphere's projected diameter; the fragment shader
// draws the shape and its normals (an impostor).
layout(location = 1) in vec4 iPos;    // xyz, w = mass
layout(location = 2) in uvec4 iStyle; // colour rgba8, size (float bits), flags, shape

uniform mat4 uView, uProj;
uniform float uNodeSize;
uniform float uViewportHeight; // pixels
uniform float uMaxPointSize;

out vec3 vCentre; // world
out float vRadius;
out vec4 vColor;
flat out uint vFlags;
flat out uint vShape;

vec4 unpack(uint c) {
	return vec4(float(c & 255u), float((c >> 8) & 255u), float((c >> 16) & 255u), float(c >> 24)) / 255.0;
}

void main() {
	float size = uNodeSize * uintBitsToFloat(iStyle.y);
	// Octahedra reach 1.3 radii: their sprite is larger.
	float extent = iStyle.w == 2u ? 1.3 : 1.0;
	vec4 view = uView * vec4(iPos.xyz, 1.0);
	gl_Position = uProj * view;
	gl_PointSize = clamp(uProj[1][1] * size * extent / max(-view.z, 1e-4) * uViewportHeight, 1.0, uMaxPointSize);
	vCentre = iPos.xyz;
	vRadius = size;
	vColor = unpack(iStyle.x);
	vFlags = iStyle.z;
	vShape = iStyle.w;
}
