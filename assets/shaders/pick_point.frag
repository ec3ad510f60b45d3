flat in uint vSlot;
out uint outSlot;
void main() {
	vec2 q = gl_PointCoord * 2.0 - 1.0;
	if (dot(q, q) > 1.0) discard;
	outSlot = vSlot + 1u;
}
