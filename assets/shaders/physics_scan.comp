#include "physics_common.glsl"
// Exclusive prefix sum of cellCount into cellStart, in three passes over
// blocks of 1024 cells: PASS 0 scans each block and writes its total into
// the tail of Cells' scratch (as uints), PASS 1 scans the block totals in
// one workgroup, PASS 2 adds each block's offset.
layout(local_size_x = 256) in;
layout(std430, binding = 8) buffer Blocks { uint blockSum[]; };
uniform uint uCells;
shared uint part[256];

void main() {
	uint t = gl_LocalInvocationID.x;
#if PASS == 0
	uint base = gl_WorkGroupID.x * 1024u + t * 4u;
	uint v[4];
	uint sum = 0u;
	for (uint k = 0u; k < 4u; k++) {
		uint idx = base + k;
		v[k] = idx < uCells ? cellCount[idx] : 0u;
		sum += v[k];
	}
	part[t] = sum;
	barrier();
	// Hillis–Steele scan of the 256 thread sums.
	for (uint off = 1u; off < 256u; off <<= 1) {
		uint add = t >= off ? part[t - off] : 0u;
		barrier();
		part[t] += add;
		barrier();
	}
	uint run = part[t] - sum; // exclusive
	for (uint k = 0u; k < 4u; k++) {
		uint idx = base + k;
		if (idx < uCells) cellStart[idx] = run;
		run += v[k];
	}
	if (t == 255u) blockSum[gl_WorkGroupID.x] = part[255];
#elif PASS == 1
	uint blocks = (uCells + 1023u) / 1024u;
	uint carry = 0u;
	for (uint base = 0u; base < blocks; base += 256u) {
		uint idx = base + t;
		uint v = idx < blocks ? blockSum[idx] : 0u;
		part[t] = v;
		barrier();
		for (uint off = 1u; off < 256u; off <<= 1) {
			uint add = t >= off ? part[t - off] : 0u;
			barrier();
			part[t] += add;
			barrier();
		}
		if (idx < blocks) blockSum[idx] = carry + part[t] - v;
		uint total = part[255];
		barrier();
		carry += total;
	}
#else
	uint base = gl_WorkGroupID.x * 1024u + t * 4u;
	uint off = blockSum[gl_WorkGroupID.x];
	for (uint k = 0u; k < 4u; k++) {
		uint idx = base + k;
		if (idx < uCells) cellStart[idx] += off;
	}
#endif
}
