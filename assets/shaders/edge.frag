in float vAlong;
flat in uint vTint;
out vec4 outColor;
uniform vec4 uColor; // linear rgb, alpha = opacity
uniform bool uArrows;
void main() {
	vec4 c = uColor;
	if (vTint != 0u) {
		// r, g, b in 5 bits each, alpha in 7 (render.Edge.tintCode), sRGB.
		vec3 t = vec3(float((vTint >> 17u) & 31u), float((vTint >> 12u) & 31u), float((vTint >> 7u) & 31u)) / 31.0;
		c = vec4(pow(t, vec3(2.2)), float(vTint & 127u) / 127.0);
	}
	if (uArrows) c.rgb *= 0.6 + 0.4 * vAlong; // brighter towards the target
	outColor = c;
}
