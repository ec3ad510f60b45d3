#include "physics_common.glsl"
// Zero the finest level's cell counts.
layout(local_size_x = 64) in;
uniform uint uCells;
void main() {
	uint c = gl_GlobalInvocationID.x;
	if (c < uCells) cellCount[c] = 0u;
}
