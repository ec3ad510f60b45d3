// Node lighting shared by the mesh and the point-sprite node shaders: a
// light PBR model (metalness, roughness), an ambient term, a sky-and-floor
// environment reflected by the surface, the hologram shell, and the marks
// for agents, selection, hover and pinning. Colours are linear; the sRGB
// back buffer encodes them.
uniform vec3 uEye;
uniform vec3 uLightDir;
uniform float uAmbient, uDirectional, uEnvironment, uMetalness, uRoughness, uOpacity, uTime;
uniform bool uHologram;

const uint flagPinned = 1u, flagSelected = 2u, flagHovered = 4u, flagAgent = 8u, flagStale = 16u;

vec4 shade(vec3 world, vec3 n, vec4 color, uint flags) {
	vec3 v = normalize(uEye - world);
	vec3 l = normalize(uLightDir);
	vec3 h = normalize(l + v);
	vec3 base = color.rgb;
	vec3 f0 = mix(vec3(0.04), base, uMetalness);
	float shininess = exp2(10.0 * (1.0 - uRoughness) + 1.0);
	float ndl = max(dot(n, l), 0.0);
	vec3 fresnel = f0 + (1.0 - f0) * pow(1.0 - max(dot(n, v), 0.0), 5.0);
	vec3 diffuse = base * (1.0 - uMetalness) * ndl;
	vec3 spec = fresnel * pow(max(dot(n, h), 0.0), shininess) * (shininess + 8.0) / 25.0 * ndl;
	vec3 r = reflect(-v, n);
	vec3 sky = mix(vec3(0.06, 0.08, 0.12), vec3(0.85, 0.92, 1.0), smoothstep(-0.3, 0.8, r.y));
	vec3 env = sky * mix(fresnel, f0, uMetalness) * (1.0 - 0.6 * uRoughness);
	vec3 c = (diffuse + spec) * uDirectional + base * uAmbient * 0.4 + env * uEnvironment;
	float alpha = uOpacity * color.a;
	if (uHologram) {
		// A glowing rim and bands that drift upwards.
		float rim = pow(1.0 - max(dot(n, v), 0.0), 2.0);
		float bands = 0.5 + 0.5 * sin(world.y * 1.5 - uTime * 3.0);
		c += base * rim * (0.6 + 0.8 * bands);
	}
	if ((flags & flagAgent) != 0u && (flags & flagStale) == 0u) {
		// Agents glow and pulse, so a swarm reads apart from knowledge at a
		// glance; the pace tells the state (bits 8-11: 1 idle breathes,
		// 2 thinking shimmers, 3 executing beats, 4 collaborating swells,
		// 5 blocked barely moves, 6 error flashes). A stale agent is dark.
		uint state = (flags >> 8u) & 15u;
		float speed = 2.0, depth = 0.2;
		if (state == 2u) { speed = 5.0; depth = 0.25; }
		else if (state == 3u) { speed = 8.0; depth = 0.3; }
		else if (state == 4u) { speed = 4.0; depth = 0.35; }
		else if (state == 5u) { speed = 1.0; depth = 0.1; }
		else if (state == 6u) { speed = 12.0; depth = 0.5; }
		c += base * (0.35 + depth * sin(uTime * speed + world.x * 0.2));
	}
	if ((flags & flagSelected) != 0u) c = mix(c, vec3(1.0, 0.85, 0.2), 0.5);
	else if ((flags & flagHovered) != 0u) c = mix(c, vec3(1.0), 0.3);
	if ((flags & flagPinned) != 0u) c *= 0.75;
	return vec4(c, alpha);
}
