in float vAlong;
flat in vec4 vColor;
out vec4 outColor;
uniform bool uArrows;
void main() {
	vec4 c = vColor;
	if (uArrows) c.rgb *= 0.6 + 0.4 * vAlong; // brighter towards the target
	outColor = c;
}
