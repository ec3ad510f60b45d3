#include "physics_common.glsl"
// Each body's finest cell, and its rank among the bodies of that cell.
layout(local_size_x = 64) in;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i >= uN) return;
	vec3 origin; float extent;
	gridFrame(origin, extent);
	uint c = cellIndex(cellAt(pos[i].xyz, origin, extent, uLevels), uLevels);
	bodyCell[i] = uvec2(c, atomicAdd(cellCount[c], 1u));
}
