// Picking: the slot of the node under each pixel, plus one (0 is nothing).
flat in uint vSlot;
out uint outSlot;
void main() { outSlot = vSlot + 1u; }
