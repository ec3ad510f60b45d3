// Copies the positions of each edge's two ends next to each other, so the
// edge ribbons can read them as vertex attributes (vertex shaders may not
// read storage buffers on every GPU).
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Pos { vec4 pos[]; };
layout(std430, binding = 1) readonly buffer Edges { uvec4 edges[]; }; // a, b, width bits, tint code bits
layout(std430, binding = 2) writeonly buffer Ends { vec4 ends[]; };   // a, b per edge
uniform uint uEdges;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i >= uEdges) return;
	uvec4 e = edges[i];
	ends[2u * i] = vec4(pos[e.x].xyz, uintBitsToFloat(e.z));
	ends[2u * i + 1u] = vec4(pos[e.y].xyz, uintBitsToFloat(e.w));
}
