// Picking for point-sprite nodes: the slot of each node, drawn as its
// sprite.
layout(location = 1) in vec4 iPos;
layout(location = 2) in uvec4 iStyle;
uniform mat4 uView, uProj;
uniform float uNodeSize, uViewportHeight, uMaxPointSize;
flat out uint vSlot;
void main() {
	float size = uNodeSize * uintBitsToFloat(iStyle.y) * 1.15; // a little larger: easier to hit
	vec4 view = uView * vec4(iPos.xyz, 1.0);
	gl_Position = uProj * view;
	gl_PointSize = clamp(uProj[1][1] * size / max(-view.z, 1e-4) * uViewportHeight, 3.0, uMaxPointSize);
	vSlot = uint(gl_VertexID);
}
