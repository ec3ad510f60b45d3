#include "physics_common.glsl"
// Mass and mass-weighted position of each finest cell.
layout(local_size_x = 64) in;
uniform uint uCells;
void main() {
	uint c = gl_GlobalInvocationID.x;
	if (c >= uCells) return;
	vec4 m = vec4(0.0);
	uint start = cellStart[c], n = cellCount[c];
	for (uint k = 0u; k < n; k++) {
		vec4 p = pos[sorted[start + k]];
		m += vec4(p.xyz * p.w, p.w);
	}
	cells[levelOffset(uLevels) + c] = m;
}
