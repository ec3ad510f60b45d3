#include "physics_common.glsl"
// Bodies sorted by finest cell.
layout(local_size_x = 64) in;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i >= uN) return;
	uvec2 cr = bodyCell[i];
	sorted[cellStart[cr.x] + cr.y] = i;
}
