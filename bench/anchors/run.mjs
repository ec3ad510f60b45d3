// Runs the force layouts behind 3d-force-graph on a graph VisionFlow wrote,
// for the comparison in docs/BENCHMARKS.md.
//
//   node run.mjs ENGINE GRAPH.json MODE [STEPS] [OUT.json]
//
// ENGINE is d3 (d3-force-3d, set up as 3d-force-graph sets it up: link,
// many-body and centre forces in 3 dimensions) or ngraph
// (ngraph.forcelayout in 3 dimensions, default physics). GRAPH.json is
// {"n": N, "edges": [[source, target], ...]} with node indices. MODE is
// "steps" (run STEPS steps and time them) or "settle" (run until the engine
// itself says it is done, at most STEPS steps). Prints one JSON line;
// writes the final positions to OUT.json when given.
import { readFileSync, writeFileSync } from 'node:fs';
import { forceSimulation, forceLink, forceManyBody, forceCenter } from 'd3-force-3d';
import createGraph from 'ngraph.graph';
import createLayout from 'ngraph.forcelayout';

const [engine, file, mode, stepsArg, out] = process.argv.slice(2);
const maxSteps = Number(stepsArg || 1000);
const g = JSON.parse(readFileSync(file, 'utf8'));

let step, done, positions;
if (engine === 'd3') {
  const nodes = Array.from({ length: g.n }, (_, i) => ({ id: i }));
  const links = g.edges.map(([s, t]) => ({ source: s, target: t }));
  const sim = forceSimulation(nodes, 3)
    .force('link', forceLink(links).id(d => d.id))
    .force('charge', forceManyBody())
    .force('center', forceCenter())
    .stop();
  step = () => sim.tick();
  done = () => sim.alpha() < sim.alphaMin();
  positions = () => nodes.map(n => [n.x, n.y, n.z]);
} else if (engine === 'ngraph') {
  const graph = createGraph();
  for (let i = 0; i < g.n; i++) graph.addNode(i);
  for (const [s, t] of g.edges) graph.addLink(s, t);
  const layout = createLayout(graph, { dimensions: 3 });
  let stable = false;
  step = () => { stable = layout.step(); };
  done = () => stable;
  positions = () => Array.from({ length: g.n }, (_, i) => {
    const p = layout.getNodePosition(i);
    return [p.x, p.y, p.z];
  });
} else {
  console.error(`unknown engine ${engine}`);
  process.exit(2);
}

const start = process.hrtime.bigint();
let steps = 0;
while (steps < maxSteps) {
  step();
  steps++;
  if (mode === 'settle' && done()) break;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
if (out) writeFileSync(out, JSON.stringify(positions()));
console.log(JSON.stringify({ engine, n: g.n, edges: g.edges.length, mode, steps, seconds, stepsPerSecond: steps / seconds }));
