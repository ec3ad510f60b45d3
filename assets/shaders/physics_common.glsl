// Shared by the physics kernels. The host prepends the version header and
// defines; the grid's finest level has R = 1 << LEVELS cells per axis.

layout(std430, binding = 0) buffer Pos { vec4 pos[]; };        // xyz, w = mass
layout(std430, binding = 1) buffer Vel { vec4 vel[]; };        // xyz, w = 1 when pinned
layout(std430, binding = 2) buffer Bounds { int bmin[3]; int bmax[3]; uint maxMove; uint pad; };
layout(std430, binding = 3) buffer CellCount { uint cellCount[]; }; // finest level
layout(std430, binding = 4) buffer CellStart { uint cellStart[]; };
layout(std430, binding = 5) buffer BodyCell { uvec2 bodyCell[]; };  // finest cell, rank in it
layout(std430, binding = 6) buffer Sorted { uint sorted[]; };       // bodies by finest cell
layout(std430, binding = 7) buffer Cells { vec4 cells[]; };         // per level: Σ m·p, Σ m

uniform uint uN;       // bodies
uniform uint uLevels;  // finest level L

// Floats compared as ints keep their order under this mapping, so atomic
// integer min/max find the bounding box.
int orderKey(float f) {
	int i = floatBitsToInt(f);
	return i >= 0 ? i : i ^ 0x7fffffff;
}
float fromKey(int k) { return intBitsToFloat(k >= 0 ? k : k ^ 0x7fffffff); }

// The grid is the cube that holds the bounding box, a little larger.
void gridFrame(out vec3 origin, out float extent) {
	vec3 lo = vec3(fromKey(bmin[0]), fromKey(bmin[1]), fromKey(bmin[2]));
	vec3 hi = vec3(fromKey(bmax[0]), fromKey(bmax[1]), fromKey(bmax[2]));
	extent = max(max(hi.x - lo.x, hi.y - lo.y), max(hi.z - lo.z, 1e-3)) * 1.0001;
	origin = lo;
}

ivec3 cellAt(vec3 p, vec3 origin, float extent, uint level) {
	int r = 1 << level;
	ivec3 c = ivec3(floor((p - origin) / extent * float(r)));
	return clamp(c, ivec3(0), ivec3(r - 1));
}

uint levelOffset(uint level) { // Σ 8^k for k < level
	return ((1u << (3u * level)) - 1u) / 7u;
}

uint cellIndex(ivec3 c, uint level) {
	uint r = 1u << level;
	return (uint(c.z) * r + uint(c.y)) * r + uint(c.x);
}
