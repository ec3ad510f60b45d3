// Merges two Yjs replicas of a graph that changed apart, for the comparison
// with VisionFlow's CRDT in docs/BENCHMARKS.md (BenchmarkMergeAnchorYjs).
//
//   node merge.mjs CHANGES RUNS
//
// Both replicas start from the same 10,000-node graph (a Y.Map of nodes,
// each a Y.Map of fields, and one of edges), then each makes CHANGES/2
// changes of its own in the mix the Go benchmark makes: new nodes, new
// edges, relabels of shared nodes, removals. Timed: the exchange both ways
// (state vector, update, apply) and reading the merged graph. Prints one
// JSON line: {"ms": [...], "changes": N}.
import * as Y from 'yjs';

const [changesArg, runsArg] = process.argv.slice(2);
const changes = Number(changesArg || 100000), runs = Number(runsArg || 3);

function base() {
  const d = new Y.Doc();
  d.clientID = 1;
  const nodes = d.getMap('nodes');
  d.transact(() => {
    for (let i = 0; i < 10000; i++) {
      const n = new Y.Map();
      nodes.set('n' + i, n);
      n.set('label', 'n');
    }
  });
  return Y.encodeStateAsUpdate(d);
}

function replica(update, name, k) {
  const d = new Y.Doc();
  d.clientID = 10 + k;
  Y.applyUpdate(d, update);
  const nodes = d.getMap('nodes'), edges = d.getMap('edges');
  for (let i = 0; i < changes / 2; i++) {
    const label = name + i;
    // One transaction per change, as the Go replicas make one event each.
    d.transact(() => {
      switch (i % 4) {
        case 0: { const n = new Y.Map(); nodes.set(name + label, n); n.set('label', label); break; }
        case 1: { const e = new Y.Map(); edges.set('e' + label, e); e.set('source', 'n' + (i % 10000)); e.set('target', 'n' + ((i * 7) % 10000)); e.set('weight', 1); break; }
        case 2: { const n = nodes.get('n' + (i % 10000)); if (n) n.set('label', label); break; }
        default: nodes.delete('n' + ((i * 13 + k) % 10000));
      }
    });
  }
  return d;
}

const start = base();
const ms = [];
for (let r = 0; r < runs; r++) {
  const a = replica(start, 'a', 0), b = replica(start, 'b', 1);
  const t0 = process.hrtime.bigint();
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
  const view = a.getMap('nodes').toJSON();
  a.getMap('edges').toJSON();
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (Object.keys(view).length === 0) throw new Error('empty merge');
}
console.log(JSON.stringify({ ms, changes }));
