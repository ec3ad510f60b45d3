// Level of detail for edges (render/lod holds the same math in Go, tested
// there): an edge wholly out of view, or shorter on screen than a pixel, is
// not drawn; past the frame's area cap, an edge is drawn with the chance
// cap/area and then stands for the 1/chance edges like it. Set by the
// renderer: uViewport in pixels, uAreaCap in pixels (0: no cap).
uniform vec2 uViewport;
uniform float uAreaCap;

const uint keepAlways = 4194304u; // 1 << 22 of the tint code: never dropped

// lowbias32 (Chris Wellons), lod.Hash.
uint lodHash(uint i) {
	i ^= i >> 16u;
	i *= 0x7feb352du;
	i ^= i >> 15u;
	i *= 0x846ca68bu;
	i ^= i >> 16u;
	return i;
}

// ribbonPixels is how wide on screen a ribbon of that width (layout units)
// between a and b (view space) is, at its nearer end.
float ribbonPixels(vec3 a, vec3 b, float width) {
	float w = max(min(-a.z, -b.z), 1e-6);
	return width * uProj[1][1] * uViewport.y * 0.5 / w;
}

// edgeColor is an edge's colour: the edges' (linear rgb, opacity), or its
// tint (r, g, b in 5 bits each, alpha in 7, sRGB: render.Edge.tintCode),
// as opaque as the 1/chance edges it stands for drawn over each other
// (lod.Opacity).
vec4 edgeColor(vec4 base, uint code, float chance) {
	vec4 c = base;
	uint tint = code & (keepAlways - 1u);
	if (tint != 0u) {
		vec3 t = vec3(float((tint >> 17u) & 31u), float((tint >> 12u) & 31u), float((tint >> 7u) & 31u)) / 31.0;
		c = vec4(pow(t, vec3(2.2)), float(tint & 127u) / 127.0);
	}
	if (chance < 1.0) c.a = 1.0 - pow(1.0 - c.a, 1.0 / chance);
	return c;
}

// edgeChance is the chance that the edge a–b (view space) of index i, a
// ribbon width layout units wide, is drawn: 0 when it is not, 1 when it
// always is (lod.View.Footprint, lod.Keep, lod.Kept).
float edgeChance(vec3 a, vec3 b, uint i, float width, bool always) {
	vec4 ca = uProj * vec4(a, 1.0);
	vec4 cb = uProj * vec4(b, 1.0);
	float da = ca.z + ca.w, db = cb.z + cb.w;
	if (da < 0.0 && db < 0.0) return 0.0;
	if (da < 0.0) ca = mix(ca, cb, da / (da - db));
	else if (db < 0.0) cb = mix(cb, ca, db / (db - da));
	if (ca.w <= 0.0 || cb.w <= 0.0) return 0.0;
	vec2 h = uViewport * 0.5;
	float unit = width * uProj[1][1] * h.y;
	float wa = unit / ca.w, wb = unit / cb.w;
	vec2 p = ca.xy / ca.w * h, q = cb.xy / cb.w * h;
	vec2 box = h + vec2(max(wa, wb) * 0.5);
	vec2 d = q - p;
	float t0 = 0.0, t1 = 1.0;
	vec4 pk = vec4(-d.x, d.x, -d.y, d.y);
	vec4 qk = vec4(p.x + box.x, box.x - p.x, p.y + box.y, box.y - p.y);
	for (int k = 0; k < 4; k++) {
		if (pk[k] == 0.0) {
			if (qk[k] < 0.0) return 0.0;
		} else if (pk[k] < 0.0) {
			t0 = max(t0, qk[k] / pk[k]);
		} else {
			t1 = min(t1, qk[k] / pk[k]);
		}
	}
	if (t0 > t1) return 0.0;
	if (always) return 1.0;
	float len = length(d) * (t1 - t0);
	if (len < 1.0) return 0.0;
	float area = len * max((wa + wb) * 0.5, 1.0);
	if (uAreaCap <= 0.0 || area <= uAreaCap) return 1.0;
	float chance = uAreaCap / area;
	return float(lodHash(i)) * (1.0 / 4294967296.0) < chance ? chance : 0.0;
}
