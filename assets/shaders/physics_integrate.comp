#include "physics_common.glsl"
// v ← (v + F/m·dt)·damping, capped; the move capped at the temperature
// when annealing; bounds. As the CPU engine. The largest move goes to
// Bounds.maxMove (as float bits: positive floats order as uints), each
// workgroup's kinetic energy to Energy.
layout(local_size_x = 64) in;
layout(std430, binding = 9) buffer Force { vec4 force[]; };
layout(std430, binding = 10) buffer Energy { float energy[]; };

uniform float uDt, uDamping, uMaxVelocity, uTemp, uBounds, uBoundaryDamping;
uniform bool uAnneal, uEnableBounds;
shared float ke[64];

uint mixBits(uint a, uint b) {
	uint x = a * 0x9E3779B1u ^ b * 0x85EBCA77u;
	x ^= x >> 15; x *= 0x2C1B3C6Du;
	x ^= x >> 12; x *= 0x297A2D39u;
	return x ^ (x >> 15);
}

void main() {
	uint i = gl_GlobalInvocationID.x;
	uint t = gl_LocalInvocationID.x;
	ke[t] = 0.0;
	if (i < uN && vel[i].w == 0.0) {
		float m = pos[i].w;
		vec3 v = (vel[i].xyz + force[i].xyz / m * uDt) * uDamping;
		float s2 = dot(v, v);
		if (s2 > uMaxVelocity * uMaxVelocity) v *= uMaxVelocity / sqrt(s2);
		vec3 move = v * uDt;
		float dist = length(move);
		if (uAnneal && dist > uTemp) {
			float k = dist > 0.0 ? uTemp / dist : 0.0;
			move *= k; v *= k; dist = uTemp;
		}
		vec3 p = pos[i].xyz + move;
		if (uEnableBounds) {
			for (int a = 0; a < 3; a++) {
				if (abs(p[a]) > uBounds) {
					float inside = uBounds * (1.0 - 1e-3 * float(mixBits(i, uint(a)) >> 8) / 16777216.0);
					p[a] = p[a] < 0.0 ? -inside : inside;
					v[a] = -v[a] * uBoundaryDamping;
				}
			}
		}
		if (!(dot(p, p) < 3.0e38) || !(dot(v, v) < 3.0e38)) { p = pos[i].xyz; v = vec3(0.0); }
		pos[i].xyz = p;
		vel[i].xyz = v;
		ke[t] = 0.5 * m * dot(v, v);
		atomicMax(maxMove, floatBitsToUint(dist));
	} else if (i < uN) {
		vel[i].xyz = vec3(0.0);
	}
	barrier();
	for (uint s = 32u; s > 0u; s >>= 1) {
		if (t < s) ke[t] += ke[t + s];
		barrier();
	}
	if (t == 0u) energy[gl_WorkGroupID.x] = ke[0];
}
