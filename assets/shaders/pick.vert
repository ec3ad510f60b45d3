layout(location = 0) in vec3 aPos;
layout(location = 1) in vec4 iPos;
layout(location = 2) in uvec4 iStyle;
uniform mat4 uView, uProj;
uniform float uNodeSize;
flat out uint vSlot;
void main() {
	float size = uNodeSize * uintBitsToFloat(iStyle.y) * 1.15; // a little larger: easier to hit
	vSlot = uint(gl_InstanceID);
	gl_Position = uProj * uView * vec4(iPos.xyz + aPos * size, 1.0);
}
