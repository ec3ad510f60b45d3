#include "physics_common.glsl"
// The force on each body: repulsion (exact from the bodies of the 27
// nearest finest cells, through the centre of mass of each cell of each
// coarser level's interaction list: the children of the parent's
// neighbours that are not the cell's own neighbours), springs and
// attraction along edges, gravity. The same formulas as the CPU engine.
layout(local_size_x = 64) in;
// Adjacency in one buffer (compute shaders may have as few as 8 storage
// blocks): N+1 offsets, then 2E neighbour indices, then 2E weights as bits.
layout(std430, binding = 8) buffer Adj { uint adj[]; };
layout(std430, binding = 9) buffer Force { vec4 force[]; };
uniform uint uAdjTo, uAdjW; // where the neighbours and the weights start

uniform float uRepelK, uSpringK, uAttractionK, uGravity, uRestLength, uEps2, uCutoff;
uniform uint uFeatures; // 1 repulsion, 2 springs, 4 attraction, 8 gravity

vec3 push(vec3 d, float m) {
	float d2 = dot(d, d);
	float inv = 1.0 / (d2 + uEps2);
	return d * (m * inv * sqrt(inv));
}

void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i >= uN) return;
	vec4 pi = pos[i];
	vec3 p = pi.xyz;
	vec3 f = vec3(0.0);
	bool cut = uCutoff > 0.0;
	float cut2 = uCutoff * uCutoff;
	if ((uFeatures & 1u) != 0u && uRepelK != 0.0) {
		vec3 origin; float extent;
		gridFrame(origin, extent);
		ivec3 c = cellAt(p, origin, extent, uLevels);
		int r = 1 << uLevels;
		vec3 rep = vec3(0.0);
		for (int dz = -1; dz <= 1; dz++)
		for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			ivec3 cc = c + ivec3(dx, dy, dz);
			if (any(lessThan(cc, ivec3(0))) || any(greaterThanEqual(cc, ivec3(r)))) continue;
			uint idx = cellIndex(cc, uLevels);
			uint start = cellStart[idx], n = cellCount[idx];
			for (uint k = 0u; k < n; k++) {
				uint j = sorted[start + k];
				if (j == i) continue;
				vec3 d = p - pos[j].xyz;
				if (dot(d, d) == 0.0) {
					// Bodies at one spot push apart along a direction fixed by
					// their indices, as in the CPU engine.
					uint lo = min(i, j), hi = max(i, j);
					uint h = lo * 2654435761u ^ hi * 2246822519u;
					d = (vec3(float(h & 255u), float((h >> 8) & 255u), float((h >> 16) & 255u)) - 127.5) * 1e-4;
					if (i > j) d = -d;
				}
				if (cut && dot(d, d) > cut2) continue;
				rep += push(d, pos[j].w);
			}
		}
		for (uint level = uLevels; level >= 2u; level--) {
			ivec3 cl = c >> int(uLevels - level);
			ivec3 parent = cl >> 1;
			int rl = 1 << level;
			float halfDiag = extent / float(rl) * 0.8660254; // half the cell's diagonal
			uint off = levelOffset(level);
			for (int pz = -1; pz <= 1; pz++)
			for (int py = -1; py <= 1; py++)
			for (int px = -1; px <= 1; px++)
			for (int o = 0; o < 8; o++) {
				ivec3 cc = (parent + ivec3(px, py, pz)) * 2 + ivec3(o & 1, (o >> 1) & 1, (o >> 2) & 1);
				if (any(lessThan(cc, ivec3(0))) || any(greaterThanEqual(cc, ivec3(rl)))) continue;
				ivec3 gap = abs(cc - cl);
				if (max(gap.x, max(gap.y, gap.z)) <= 1) continue; // a neighbour: done at a finer level
				vec4 m = cells[off + cellIndex(cc, uint(level))];
				if (m.w <= 0.0) continue;
				vec3 d = p - m.xyz / m.w;
				if (cut && length(d) - halfDiag > uCutoff) continue;
				rep += push(d, m.w);
			}
		}
		f += rep * (uRepelK * pi.w);
	}
	bool springs = (uFeatures & 2u) != 0u && uSpringK != 0.0;
	bool attract = (uFeatures & 4u) != 0u && uAttractionK != 0.0;
	if (springs || attract) {
		for (uint k = adj[i]; k < adj[i + 1u]; k++) {
			vec3 d = pos[adj[uAdjTo + k]].xyz - p;
			float w = uintBitsToFloat(adj[uAdjW + k]);
			float dist = length(d);
			if (springs && dist > 0.0) f += d * (uSpringK * w * (dist - uRestLength) / dist);
			if (attract) f += d * (uAttractionK * w);
		}
	}
	if ((uFeatures & 8u) != 0u && uGravity != 0.0) f -= p * (uGravity * pi.w);
	force[i] = vec4(f, 0.0);
}
