#include "physics_common.glsl"
// The bounding box of every body, into Bounds (reset to ±max by the host).
layout(local_size_x = 64) in;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i >= uN) return;
	vec3 p = pos[i].xyz;
	for (int k = 0; k < 3; k++) {
		atomicMin(bmin[k], orderKey(p[k]));
		atomicMax(bmax[k], orderKey(p[k]));
	}
}
