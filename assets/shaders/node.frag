#include "node_shade.glsl"
// Lit node meshes (the lighting is in node_shade.glsl).
in vec3 vWorld;
in vec3 vNormal;
in vec4 vColor;
flat in uint vFlags;
out vec4 outColor;

void main() { outColor = shade(vWorld, normalize(vNormal), vColor, vFlags); }
