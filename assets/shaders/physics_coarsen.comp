#include "physics_common.glsl"
// Each cell of level uLevel sums its eight children.
layout(local_size_x = 64) in;
uniform uint uLevel;
void main() {
	uint r = 1u << uLevel;
	uint c = gl_GlobalInvocationID.x;
	if (c >= r * r * r) return;
	ivec3 cc = ivec3(int(c % r), int((c / r) % r), int(c / (r * r)));
	vec4 m = vec4(0.0);
	for (int o = 0; o < 8; o++) {
		ivec3 ch = cc * 2 + ivec3(o & 1, (o >> 1) & 1, (o >> 2) & 1);
		m += cells[levelOffset(uLevel + 1u) + cellIndex(ch, uLevel + 1u)];
	}
	cells[levelOffset(uLevel) + c] = m;
}
