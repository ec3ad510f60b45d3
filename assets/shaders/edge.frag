in float vAlong;
out vec4 outColor;
uniform vec4 uColor; // linear rgb, alpha = opacity
uniform bool uArrows;
void main() {
	vec4 c = uColor;
	if (uArrows) c.rgb *= 0.6 + 0.4 * vAlong; // brighter towards the target
	outColor = c;
}
