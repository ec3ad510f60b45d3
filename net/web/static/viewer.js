// VisionFlow's browser viewer: one graph of the session, live, in WebGL2.
//
// Written by hand, without a framework or a build step, so that the Go
// binary embeds it as it is (net/web) and nothing about it needs Node.
// The layout is computed by the server; this page only draws it.
//
// Data lives in typed arrays indexed by slot (struct of arrays): a node
// keeps its slot for as long as it lives, so a position frame is decoded
// straight into the Float32Array that is uploaded to the GPU, and edges
// are pairs of slots in a Uint32Array drawn with drawElements. The hot
// paths (frames, drawing, picking) touch no per-node JS objects.

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- token

const TOKEN_KEY = 'visionflow.token';

// A share link carries the token in the fragment, which browsers never
// send to the server. It is taken from the address bar at once (so it is
// not left in history or a screenshot) and kept for this tab only.
function takeToken() {
  const frag = new URLSearchParams(location.hash.slice(1));
  const t = frag.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    frag.delete('token');
    const rest = frag.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

let token = takeToken();

// ---------------------------------------------------------------- REST

class HTTPError extends Error {
  constructor(status, code, detail) {
    super(detail || code || 'HTTP ' + status);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { 'X-Client-ID': 'browser' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let e = {};
    try { e = await res.json(); } catch { /* not JSON */ }
    const err = new HTTPError(res.status, e.error, e.detail);
    if (res.status === 401) showTokenBox(token ? 'The token was refused: ' + err.message : '');
    throw err;
  }
  return res.status === 204 ? null : res.json();
}

const nodePath = (id) => '/api/graph/' + encodeURIComponent(G.id) + '/nodes/' + encodeURIComponent(id);

// ---------------------------------------------------------------- graph state

// G is the graph shown. Slots index every per-node array; a removed
// node's slot is reused by the next node added.
const G = {
  id: null, type: 'logseq', seq: 0,
  cap: 0, count: 0, live: 0,
  pos: new Float32Array(0),   // x, y, z per slot: the GPU's position buffer
  attr: new Float32Array(0),  // r, g, b, radius (in node sizes) per slot; radius 0: no node
  state: new Uint8Array(0),   // 0 plain, 1 neighbour of the selection, 2 selected
  deg: new Int32Array(0),
  wire: new Uint32Array(0),
  kind: new Uint8Array(0),    // 0 page, 1 journal, 2 reference, 3 agent
  ids: [], labels: [], meta: [], lower: [],
  slot: new Map(),            // node id → slot
  bywire: new Int32Array(0),  // wire index (low 30 bits) → slot, −1 when none
  free: [],
  // Edges: pairs of slots, in any order (removal swaps the last in).
  ecap: 0, ecount: 0,
  eidx: new Uint32Array(0),
  eids: [],
  eslot: new Map(),           // edge id → edge index
};

const dirty = { pos: true, attr: true, state: true, edges: true, top: true, selection: false };
let needsDraw = true;

function grow(n) {
  if (n <= G.cap) return;
  let cap = Math.max(1024, G.cap);
  while (cap < n) cap *= 2;
  const re = (Type, old, per) => { const a = new Type(cap * per); a.set(old); return a; };
  G.pos = re(Float32Array, G.pos, 3);
  G.attr = re(Float32Array, G.attr, 4);
  G.state = re(Uint8Array, G.state, 1);
  G.deg = re(Int32Array, G.deg, 1);
  G.wire = re(Uint32Array, G.wire, 1);
  G.kind = re(Uint8Array, G.kind, 1);
  G.cap = cap;
}

function growEdges(n) {
  if (n <= G.ecap) return;
  let cap = Math.max(2048, G.ecap);
  while (cap < n) cap *= 2;
  const a = new Uint32Array(cap * 2);
  a.set(G.eidx);
  G.eidx = a;
  G.ecap = cap;
}

function mapWire(w, slot) {
  const idx = w & 0x3fffffff;
  if (idx >= G.bywire.length) {
    let n = Math.max(1024, G.bywire.length);
    while (n <= idx) n *= 2;
    const a = new Int32Array(n).fill(-1);
    a.set(G.bywire);
    G.bywire = a;
  }
  G.bywire[idx] = slot;
}

function kindOf(node) {
  if (node.graphType === 'visionflow' || (node.wireId >>> 31) === 1) return 3;
  const k = node.metadata && node.metadata.kind;
  return k === 'journal' ? 1 : k === 'reference' ? 2 : 0;
}

function resetGraph() {
  G.cap = 0; G.count = 0; G.live = 0;
  G.pos = new Float32Array(0); G.attr = new Float32Array(0); G.state = new Uint8Array(0);
  G.deg = new Int32Array(0); G.wire = new Uint32Array(0); G.kind = new Uint8Array(0);
  G.ids = []; G.labels = []; G.meta = []; G.lower = [];
  G.slot = new Map(); G.bywire = new Int32Array(0); G.free = [];
  G.ecap = 0; G.ecount = 0; G.eidx = new Uint32Array(0); G.eids = []; G.eslot = new Map();
}

function addNode(n) {
  if (G.slot.has(n.id)) return;
  const s = G.free.length ? G.free.pop() : G.count++;
  grow(s + 1);
  G.ids[s] = n.id;
  G.labels[s] = n.label || n.id;
  G.lower[s] = undefined;
  G.meta[s] = n.metadata || null;
  G.slot.set(n.id, s);
  G.wire[s] = n.wireId >>> 0;
  mapWire(n.wireId >>> 0, s);
  const p = n.position || { x: 0, y: 0, z: 0 };
  G.pos[s * 3] = p.x; G.pos[s * 3 + 1] = p.y; G.pos[s * 3 + 2] = p.z;
  G.deg[s] = 0;
  G.kind[s] = kindOf(n);
  G.state[s] = 0;
  G.live++;
  paintNode(s);
}

function removeNode(id) {
  const s = G.slot.get(id);
  if (s === undefined) return;
  G.slot.delete(id);
  const idx = G.wire[s] & 0x3fffffff;
  if (G.bywire[idx] === s) G.bywire[idx] = -1;
  G.ids[s] = undefined; G.labels[s] = undefined; G.meta[s] = null; G.lower[s] = undefined;
  G.attr[s * 4 + 3] = 0;
  G.state[s] = 0;
  G.free.push(s);
  G.live--;
  if (sel === s) select(-1);
  if (hover === s) hover = -1;
}

function addEdge(e) {
  if (G.eslot.has(e.id)) return;
  const a = G.slot.get(e.source), b = G.slot.get(e.target);
  if (a === undefined || b === undefined) return;
  const k = G.ecount++;
  growEdges(G.ecount);
  G.eidx[k * 2] = a; G.eidx[k * 2 + 1] = b;
  G.eids[k] = e.id;
  G.eslot.set(e.id, k);
  G.deg[a]++; G.deg[b]++;
  paintNode(a); paintNode(b);
}

function removeEdge(id) {
  const k = G.eslot.get(id);
  if (k === undefined) return;
  const a = G.eidx[k * 2], b = G.eidx[k * 2 + 1];
  G.deg[a]--; G.deg[b]--;
  paintNode(a); paintNode(b);
  const last = --G.ecount;
  if (k !== last) {
    G.eidx[k * 2] = G.eidx[last * 2];
    G.eidx[k * 2 + 1] = G.eidx[last * 2 + 1];
    G.eids[k] = G.eids[last];
    G.eslot.set(G.eids[k], k);
  }
  G.eids.length = last;
  G.eslot.delete(id);
}

// paintNode sets a node's colour and size from its kind, its degree and
// the settings: hubs lighter and larger (radius as the desktop draws it,
// 1 + ½·ln(1 + degree) node sizes), journals cooler, link-only pages dimmer.
function paintNode(s) {
  if (G.ids[s] === undefined) return;
  const k = G.kind[s];
  const base = k === 3 ? colours.agent : colours.node;
  let r = base[0], g = base[1], b = base[2];
  if (k === 1) { r = r * 0.45 + 0.50 * 0.55; g = g * 0.45 + 0.55 * 0.55; b = b * 0.45 + 1.0 * 0.55; }
  if (k === 2) { r *= 0.62; g *= 0.62; b *= 0.62; }
  const d = G.deg[s];
  const t = Math.min(0.45, 0.07 * Math.log1p(d));
  const o = s * 4;
  G.attr[o] = r + (1 - r) * t;
  G.attr[o + 1] = g + (1 - g) * t;
  G.attr[o + 2] = b + (1 - b) * t;
  G.attr[o + 3] = 1 + 0.5 * Math.log1p(d);
  dirty.attr = true;
  dirty.top = true;
}

function repaintAll() {
  for (let s = 0; s < G.count; s++) paintNode(s);
}

function build(c) {
  resetGraph();
  G.id = c.id;
  G.type = c.type;
  G.seq = c.seq;
  grow(Math.ceil((c.nodes || []).length * 1.25));
  growEdges(Math.ceil((c.edges || []).length * 1.25));
  for (const n of c.nodes || []) addNode(n);
  for (const e of c.edges || []) addEdge(e);
  dirty.pos = dirty.attr = dirty.state = dirty.edges = dirty.top = true;
  needsDraw = true;
}

// applyEvent applies one committed change (docs/api.md, Events).
function applyEvent(ev) {
  switch (ev.type) {
    case 'NodeAdded':
      addNode(ev.node);
      if (pendingSelect === ev.node.id) { pendingSelect = null; const s = G.slot.get(ev.node.id); select(s); }
      break;
    case 'NodeRemoved':
      removeNode(ev.node.id);
      break;
    case 'NodeUpdated': {
      const s = G.slot.get(ev.id);
      if (s === undefined) break;
      if (ev.label !== undefined && ev.label !== null) { G.labels[s] = ev.label; G.lower[s] = undefined; }
      if (ev.metadata) {
        const m = Object.assign({}, G.meta[s] || {});
        for (const [k, v] of Object.entries(ev.metadata)) { if (v === null) delete m[k]; else m[k] = v; }
        G.meta[s] = m;
        const kind = kindOf({ metadata: m, wireId: G.wire[s], graphType: G.kind[s] === 3 ? 'visionflow' : '' });
        if (kind !== G.kind[s]) { G.kind[s] = kind; paintNode(s); }
      }
      break;
    }
    case 'NodeMoved': {
      const s = G.slot.get(ev.id);
      if (s !== undefined && ev.position) {
        G.pos[s * 3] = ev.position.x; G.pos[s * 3 + 1] = ev.position.y; G.pos[s * 3 + 2] = ev.position.z;
        dirty.pos = true;
      }
      break;
    }
    case 'EdgeCreated':
      addEdge(ev.edge);
      break;
    case 'EdgeDeleted':
      removeEdge(ev.edge.id);
      break;
    default: // EdgeWeightChanged, EdgeUpdated: nothing drawn depends on them
      return;
  }
  dirty.edges = true;
  dirty.pos = true;
  if (sel >= 0) dirty.selection = true;
  if (sel >= 0 && G.ids[sel] === (ev.id || (ev.node && ev.node.id))) inspectorStale = true;
  needsDraw = true;
}

// ---------------------------------------------------------------- position frames

// A v1 frame (docs/protocol.md): a 16-byte header, then 34 bytes a node:
// u32 wire id, f32 x y z, f32 vx vy vz, f32 value, u16 flags. Records are
// not 4-byte aligned, so they are read with a DataView and written
// straight into the position array the GPU reads. A large graph asks for
// v2 frames (kinds 3 and 4: positions quantised within the frame's box,
// about 7 bytes a node), a fifth of the bytes for positions a client
// cannot tell apart on the screen; ?frames=v1 or ?frames=v2 in the
// address overrides the choice.
const frames = { stream: -1, seq: -1, awaitingFull: true, asked: false, applied: 0 };
const V2_NODES = 10000;
const framesAsked = new URLSearchParams(location.search).get('frames');

// BEGIN decodeFrameV2 (net/web's tests run this function on the protocol's test vectors)
// decodeFrameV2 calls put(wireId, x, y, z, vx, vy, vz, value, flags,
// hasState) for each node of a v2 frame and reports whether the frame was
// whole. Coordinates are computed as the protocol says, in this order, so
// they round to the float32 the Go decoder gives.
function decodeFrameV2(dv, put) {
  const len = dv.byteLength;
  if (len < 41) return false;
  const n = dv.getUint32(12, true);
  const vel = (dv.getUint8(16) & 1) !== 0;
  const lx = dv.getFloat32(17, true), ly = dv.getFloat32(21, true), lz = dv.getFloat32(25, true);
  const ex = dv.getFloat32(29, true) - lx, ey = dv.getFloat32(33, true) - ly, ez = dv.getFloat32(37, true) - lz;
  if (vel && len < 45) return false;
  const speed = vel ? dv.getFloat32(41, true) : 0;
  let off = vel ? 45 : 41, id = 0;
  for (let i = 0; i < n; i++) {
    // The varint: the id's zigzagged difference from the previous one,
    // then one bit for "value and flags follow" (33 bits: past what
    // bitwise operators take, so it is summed).
    let v = 0, mul = 1, b;
    do {
      if (off >= len || mul > 2 ** 28) return false;
      b = dv.getUint8(off++);
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    const state = v % 2, zz = (v - state) / 2;
    id = (id + (zz % 2 ? -(zz + 1) / 2 : zz / 2)) >>> 0;
    if (off + 6 + (vel ? 6 : 0) + (state ? 6 : 0) > len) return false;
    const x = lx + dv.getUint16(off, true) * ex / 65535;
    const y = ly + dv.getUint16(off + 2, true) * ey / 65535;
    const z = lz + dv.getUint16(off + 4, true) * ez / 65535;
    off += 6;
    let vx = 0, vy = 0, vz = 0, value = 0, flags = 0;
    if (vel) {
      vx = dv.getInt16(off, true) * speed / 32767;
      vy = dv.getInt16(off + 2, true) * speed / 32767;
      vz = dv.getInt16(off + 4, true) * speed / 32767;
      off += 6;
    }
    if (state) {
      value = dv.getFloat32(off, true);
      flags = dv.getUint16(off + 4, true);
      off += 6;
    }
    put(id, x, y, z, vx, vy, vz, value, flags, state === 1);
  }
  return off === len;
}
// END decodeFrameV2

function onFrame(buf) {
  if (buf.byteLength < 16) return;
  const dv = new DataView(buf);
  if (dv.getUint8(0) !== 2) return;
  const kind = dv.getUint8(1);
  if (kind < 1 || kind > 4) return;
  if (dv.getUint16(2, true) !== frames.stream) return; // another graph's stream
  const seq = Number(dv.getBigUint64(4, true));
  const n = dv.getUint32(12, true);
  const v2 = kind >= 3, full = kind === 1 || kind === 3;
  if (!v2 && 16 + n * 34 > buf.byteLength) return;
  if (!full) {
    if (frames.awaitingFull || seq !== frames.seq + 1) {
      if (!frames.asked) {
        frames.asked = true;
        frames.awaitingFull = true;
        send({ type: 'fullFrame', graph: G.id });
      }
      return;
    }
  }
  const pos = G.pos, bywire = G.bywire, wires = G.wire, len = bywire.length;
  const put = (w, x, y, z) => {
    const idx = w & 0x3fffffff;
    if (idx >= len) return;
    const s = bywire[idx];
    if (s < 0 || wires[s] !== w) return; // a node this page hears of with its event
    const p = s * 3;
    pos[p] = x;
    pos[p + 1] = y;
    pos[p + 2] = z;
  };
  if (v2) {
    if (!decodeFrameV2(dv, put)) return;
  } else {
    for (let i = 0, off = 16; i < n; i++, off += 34) {
      put(dv.getUint32(off, true), dv.getFloat32(off + 4, true), dv.getFloat32(off + 8, true), dv.getFloat32(off + 12, true));
    }
  }
  frames.seq = seq;
  if (full) { frames.awaitingFull = false; frames.asked = false; }
  frames.applied++;
  dirty.pos = true;
  needsDraw = true;
}

// ---------------------------------------------------------------- WebSocket

let ws = null;
let conn = 'connecting';
let clientId = '';
let settingsSeq = null;
let backoff = 250;
let failedOpens = 0;
let loading = false;
let held = [];       // events that arrived while the graph was being fetched
let peers = 0;

function setConn(s) {
  conn = s;
  const el = $('conn');
  el.dataset.state = s;
  el.textContent = s;
}

function send(m) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

function connect() {
  if (ws) return;
  setConn(failedOpens ? 'reconnecting' : 'connecting');
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' +
    (settingsSeq !== null ? '?settingsSince=' + settingsSeq : '');
  // A browser cannot set headers on a WebSocket: the token travels as a
  // second subprotocol, and the server answers with the first.
  const protocols = token ? ['visionflow', 'visionflow.bearer.' + token] : ['visionflow'];
  const sock = new WebSocket(url, protocols);
  sock.binaryType = 'arraybuffer';
  ws = sock;
  let opened = false;
  sock.onopen = () => { opened = true; failedOpens = 0; backoff = 250; };
  sock.onmessage = (e) => {
    if (typeof e.data === 'string') onText(JSON.parse(e.data));
    else onFrame(e.data);
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    frames.stream = -1;
    if (stopped) return;
    if (!opened) {
      failedOpens++;
      // The upgrade says nothing of why it failed; a refused token is
      // found by asking the REST API, which shows the token box.
      if (failedOpens >= 2) api('GET', '/api/whoami').catch(() => {});
    }
    if (conn === 'unauthorized') return;
    setConn('reconnecting');
    const wait = backoff * (0.5 + Math.random() * 0.5);
    backoff = Math.min(backoff * 2, 5000);
    setTimeout(connect, wait);
  };
}

function subscribe() {
  if (!G.id || !ws) return;
  frames.stream = -1;
  frames.awaitingFull = true;
  frames.asked = false;
  const v2 = framesAsked ? framesAsked === 'v2' : G.live >= V2_NODES;
  send({ type: 'subscribe', id: 'sub', graph: G.id, streams: ['events', 'positions'], since: G.seq, frames: v2 ? 'v2' : 'v1' });
}

function onText(m) {
  switch (m.type) {
    case 'hello':
      clientId = m.clientId;
      settingsSeq = m.settingsSeq;
      if (!loading) subscribe();
      break;
    case 'subscribed':
      if (m.graph !== G.id) return;
      frames.stream = m.stream;
      frames.format = m.frames;
      setConn('live');
      if (m.stale) reload();
      sendPresence(true);
      break;
    case 'events':
      if (m.graph !== G.id) return;
      if (loading) { held.push(...m.events); return; }
      for (const ev of m.events) {
        if (ev.seq <= G.seq) continue;
        applyEvent(ev);
        G.seq = ev.seq;
      }
      break;
    case 'reload':
      if (m.graph !== G.id) return;
      if (m.deleted) { toast('This graph was deleted.', true); refreshGraphList(); return; }
      reload();
      break;
    case 'settings':
      if (m.values) for (const [p, v] of Object.entries(m.values)) settings[p] = v;
      for (const d of m.deltas || []) {
        settings[d.path] = d.new;
        settingsSeq = Math.max(settingsSeq || 0, d.id);
      }
      applySettings();
      break;
    case 'presence':
      if (m.graph === G.id) {
        peers = (m.peers || []).filter((p) => p.id !== clientId).length;
        $('peers').textContent = peers ? peers + (peers === 1 ? ' peer' : ' peers') : '';
      }
      break;
    case 'focus':
      if (m.graph === G.id && m.nodes && m.nodes.length) {
        const s = G.slot.get(m.nodes[0]);
        if (s !== undefined) { select(s); flyTo(s); }
        if (m.note) toast((m.by ? m.by + ': ' : '') + m.note);
      }
      break;
    case 'error':
      toast(m.detail || m.error, true);
      break;
  }
}

// reload fetches the graph whole (a stale subscribe, a reload message),
// holding the events that arrive meanwhile and applying those after it.
async function reload() {
  if (loading) return;
  loading = true;
  held = [];
  const keep = sel >= 0 ? G.ids[sel] : null;
  try {
    const c = await api('GET', '/api/graph/' + encodeURIComponent(G.id));
    build(c);
    for (const ev of held) {
      if (ev.seq <= G.seq) continue;
      applyEvent(ev);
      G.seq = ev.seq;
    }
    if (keep !== null && G.slot.has(keep)) select(G.slot.get(keep)); else select(-1);
  } catch (e) {
    toast('Could not load the graph: ' + e.message, true);
  } finally {
    loading = false;
    held = [];
  }
}

let lastPresence = '';
let presenceAt = 0;

// sendPresence says where this viewer is (its selection and camera), at
// most five times a second and only when it changed.
function sendPresence(force) {
  if (frames.stream < 0) return;
  const now = performance.now();
  if (!force && now - presenceAt < 200) return;
  const e = eyePos();
  const r = (v) => Math.round(v * 10) / 10;
  const p = { graph: G.id, eye: [r(e[0]), r(e[1]), r(e[2])], target: cam.target.map(r) };
  if (!token) p.name = 'browser';
  if (sel >= 0) p.selected = G.ids[sel];
  const text = JSON.stringify(p);
  if (!force && text === lastPresence) return; // forced: the server may not have it (a new subscription)
  lastPresence = text;
  presenceAt = now;
  send({ type: 'presence', presence: p });
}

// ---------------------------------------------------------------- settings

const settings = {};
const colours = { node: [0, 0.9, 1], agent: [0.25, 1, 0], edge: [0.34, 0.71, 0.76], bg: [0.04, 0.055, 0.1] };

function flatten(prefix, v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? prefix + '.' + k : k, x);
  } else {
    settings[prefix] = v;
  }
}

function hex(s, fallback) {
  if (typeof s !== 'string' || !/^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(s)) return fallback;
  return [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16) / 255);
}

function num(path, def) {
  const v = settings[path];
  return typeof v === 'number' && isFinite(v) ? v : def;
}

function applySettings() {
  const before = colours.node.join() + colours.agent.join();
  colours.node = hex(settings['nodes.baseColor'], [0, 0.9, 1]);
  colours.agent = hex(settings['nodes.agentColor'], [0.25, 1, 0]);
  colours.edge = hex(settings['edges.color'], [0.34, 0.71, 0.76]);
  colours.bg = hex(settings['rendering.backgroundColor'], [0.04, 0.055, 0.1]);
  if (colours.node.join() + colours.agent.join() !== before) repaintAll();
  if (typeof settings['rendering.backgroundColor'] === 'string') {
    document.documentElement.style.setProperty('--bg', settings['rendering.backgroundColor'].slice(0, 7));
  }
  needsDraw = true;
}

// ---------------------------------------------------------------- camera

const cam = {
  target: [0, 0, 0], dist: 400, yaw: 0.7, pitch: 0.35, fov: 50 * Math.PI / 180,
  radius: 200,          // of the graph, from the last fit
  follow: true,         // keep the whole graph framed while it lays out
  fly: null,            // an animation in progress
};
const view = new Float32Array(16), proj = new Float32Array(16), viewProj = new Float32Array(16);

function eyePos() {
  const cp = Math.cos(cam.pitch);
  return [
    cam.target[0] + cam.dist * cp * Math.sin(cam.yaw),
    cam.target[1] + cam.dist * Math.sin(cam.pitch),
    cam.target[2] + cam.dist * cp * Math.cos(cam.yaw),
  ];
}

function perspective(out, fovy, aspect, near, far) {
  const f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
  out.fill(0);
  out[0] = f / aspect; out[5] = f;
  out[10] = (far + near) * nf; out[11] = -1;
  out[14] = 2 * far * near * nf;
}

function lookAt(out, e, t) {
  let zx = e[0] - t[0], zy = e[1] - t[1], zz = e[2] - t[2];
  let l = Math.hypot(zx, zy, zz) || 1;
  zx /= l; zy /= l; zz /= l;
  let xx = zz, xy = 0, xz = -zx; // up × z with up = (0, 1, 0)
  l = Math.hypot(xx, xy, xz) || 1;
  xx /= l; xy /= l; xz /= l;
  const yx = zy * xz - zz * xy, yy = zz * xx - zx * xz, yz = zx * xy - zy * xx;
  out[0] = xx; out[1] = yx; out[2] = zx; out[3] = 0;
  out[4] = xy; out[5] = yy; out[6] = zy; out[7] = 0;
  out[8] = xz; out[9] = yz; out[10] = zz; out[11] = 0;
  out[12] = -(xx * e[0] + xy * e[1] + xz * e[2]);
  out[13] = -(yx * e[0] + yy * e[1] + yz * e[2]);
  out[14] = -(zx * e[0] + zy * e[1] + zz * e[2]);
  out[15] = 1;
}

function multiply(out, a, b) {
  for (let c = 0; c < 4; c++) {
    const b0 = b[c * 4], b1 = b[c * 4 + 1], b2 = b[c * 4 + 2], b3 = b[c * 4 + 3];
    for (let r = 0; r < 4; r++) out[c * 4 + r] = a[r] * b0 + a[4 + r] * b1 + a[8 + r] * b2 + a[12 + r] * b3;
  }
}

let near = 1;
function updateMatrices() {
  const w = canvas.width, h = canvas.height;
  lookAt(view, eyePos(), cam.target);
  near = Math.max(cam.dist * 0.002, 0.01);
  perspective(proj, cam.fov, w / Math.max(h, 1), near, cam.dist * 2 + cam.radius * 6 + 100);
  multiply(viewProj, proj, view);
}

// bounds is the graph's centre and the radius that holds nearly all of it
// (the 98th percentile of distances, from a sample: a few strays far out
// should not shrink the rest to a dot).
function bounds() {
  let cx = 0, cy = 0, cz = 0, n = 0;
  const pos = G.pos, attr = G.attr;
  for (let s = 0; s < G.count; s++) {
    if (attr[s * 4 + 3] <= 0) continue;
    cx += pos[s * 3]; cy += pos[s * 3 + 1]; cz += pos[s * 3 + 2]; n++;
  }
  if (!n) return null;
  cx /= n; cy /= n; cz /= n;
  const step = Math.max(1, Math.floor(G.count / 4096));
  const d = [];
  for (let s = 0; s < G.count; s += step) {
    if (attr[s * 4 + 3] <= 0) continue;
    d.push(Math.hypot(pos[s * 3] - cx, pos[s * 3 + 1] - cy, pos[s * 3 + 2] - cz));
  }
  d.sort((a, b) => a - b);
  const r = d[Math.min(d.length - 1, Math.floor(d.length * 0.98))] || 1;
  return { c: [cx, cy, cz], r: Math.max(r, num('nodes.nodeSize', 1.2) * 8) };
}

function fitDistance(r) {
  const aspect = canvas.width / Math.max(canvas.height, 1);
  const half = Math.min(cam.fov / 2, Math.atan(Math.tan(cam.fov / 2) * aspect));
  return (r * 1.1) / Math.sin(half);
}

function fit(animated) {
  const b = bounds();
  if (!b) return;
  cam.radius = b.r;
  cam.follow = true;
  if (animated) startFly(b.c, fitDistance(b.r), -1);
  else { cam.target = b.c; cam.dist = fitDistance(b.r); }
  needsDraw = true;
}

let followAt = 0, followFrames = -1;
function followLayout(now) {
  if (!cam.follow || cam.fly || now - followAt < 250 || frames.applied === followFrames) return;
  followAt = now;
  followFrames = frames.applied;
  const b = bounds();
  if (!b) return;
  cam.radius = b.r;
  const k = 0.35;
  for (let i = 0; i < 3; i++) cam.target[i] += (b.c[i] - cam.target[i]) * k;
  cam.dist += (fitDistance(b.r) - cam.dist) * k;
  needsDraw = true;
}

function startFly(target, dist, slot) {
  cam.fly = { t0: performance.now(), from: cam.target.slice(), fromDist: cam.dist, to: target, toDist: dist, slot };
}

// flyTo frames a node and its neighbours.
function flyTo(s) {
  if (s < 0 || G.ids[s] === undefined) return;
  const p = [G.pos[s * 3], G.pos[s * 3 + 1], G.pos[s * 3 + 2]];
  let r = num('nodes.nodeSize', 1.2) * 12;
  forNeighbours(s, (t) => {
    r = Math.max(r, Math.hypot(G.pos[t * 3] - p[0], G.pos[t * 3 + 1] - p[1], G.pos[t * 3 + 2] - p[2]));
  });
  r = Math.min(r, cam.radius * 0.6 || r);
  cam.follow = false;
  startFly(p, fitDistance(r), s);
}

function animateCamera(now) {
  const f = cam.fly;
  if (!f) return;
  const u = Math.min(1, (now - f.t0) / 750);
  const e = u < 0.5 ? 2 * u * u : 1 - Math.pow(-2 * u + 2, 2) / 2;
  // A node keeps moving with the layout while the camera flies to it.
  const to = f.slot >= 0 && G.ids[f.slot] !== undefined ? [G.pos[f.slot * 3], G.pos[f.slot * 3 + 1], G.pos[f.slot * 3 + 2]] : f.to;
  for (let i = 0; i < 3; i++) cam.target[i] = f.from[i] + (to[i] - f.from[i]) * e;
  cam.dist = f.fromDist * Math.pow(f.toDist / f.fromDist, e);
  if (u >= 1) cam.fly = null;
  needsDraw = true;
}

// ---------------------------------------------------------------- WebGL2

const canvas = $('view');
let gl = null; // made once the settings are known (start)

// softwareGL reports whether WebGL draws on the CPU (SwiftShader, llvmpipe,
// Windows' basic render driver). Multisampling there costs four times the
// fill, and far more for lines: 30,000 edges took 7.8 s a frame with it
// and 0.29 s without on SwiftShader here.
function softwareGL() {
  const probe = document.createElement('canvas').getContext('webgl2');
  if (!probe) return false;
  const info = probe.getExtension('WEBGL_debug_renderer_info');
  const name = String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER));
  const lose = probe.getExtension('WEBGL_lose_context');
  if (lose) lose.loseContext();
  return /swiftshader|llvmpipe|softpipe|basic render|software/i.test(name);
}

// initGraphics makes the WebGL2 context, multisampled when
// rendering.enableAntialiasing says so and the GPU is a real one. A
// context's attributes are fixed when it is made: a change of that
// setting applies at the next load of the page.
function initGraphics() {
  const aa = settings['rendering.enableAntialiasing'] !== false && !softwareGL();
  gl = canvas.getContext('webgl2', { antialias: aa, alpha: false, powerPreference: 'high-performance' });
  if (!gl) {
    $('nogl').hidden = false;
    setConn('error');
    return false;
  }
  R.antialias = aa;
  canvas.addEventListener('webglcontextlost', (e) => e.preventDefault());
  canvas.addEventListener('webglcontextrestored', () => { initGL(); needsDraw = true; });
  initGL();
  return true;
}

const NODE_VS = `#version 300 es
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec4 a_attr;   // colour, radius in node sizes (0: no node)
layout(location = 2) in float a_state; // 0 plain, 1 neighbour of the selection, 2 selected
uniform mat4 u_viewProj;
uniform float u_scale;                 // device pixels per layout unit at distance 1
uniform float u_nodeSize, u_minPx, u_maxPx, u_focus;
uniform int u_hover;
out vec3 v_color;
out float v_ring;
void main() {
  float r = a_attr.w * u_nodeSize;
  if (r <= 0.0) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 0.0; return; }
  vec4 clip = u_viewProj * vec4(a_pos, 1.0);
  gl_Position = clip;
  bool hovered = gl_VertexID == u_hover;
  float px = clamp(2.0 * r * u_scale / max(clip.w, 1e-4), u_minPx, u_maxPx);
  if (a_state > 1.5 || hovered) px = max(px * 1.3, 3.0 * u_minPx);
  gl_PointSize = px;
  vec3 c = a_attr.rgb;
  if (u_focus > 0.5 && a_state < 0.5 && !hovered) c *= 0.28;
  v_color = c;
  v_ring = a_state > 1.5 ? 1.0 : (hovered ? 0.5 : 0.0);
}`;

const NODE_FS = `#version 300 es
precision mediump float;
in vec3 v_color;
in float v_ring;
uniform float u_opacity;
out vec4 o;
void main() {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(d, d);
  if (r2 > 1.0) discard;
  vec3 n = vec3(d.x, -d.y, sqrt(1.0 - r2));
  vec3 L = normalize(vec3(-0.45, 0.55, 0.7));
  float diff = max(dot(n, L), 0.0);
  float spec = pow(max(dot(reflect(-L, n), vec3(0.0, 0.0, 1.0)), 0.0), 24.0);
  vec3 c = v_color * (0.35 + 0.75 * diff) + vec3(0.3) * spec + v_color * 0.25 * smoothstep(0.6, 1.0, r2);
  if (v_ring > 0.0 && r2 > 0.6) c = v_ring > 0.75 ? vec3(1.0, 0.78, 0.3) : vec3(0.95);
  o = vec4(c, u_opacity * (1.0 - smoothstep(0.86, 1.0, r2)));
}`;

const EDGE_VS = `#version 300 es
layout(location = 0) in vec3 a_pos;
uniform mat4 u_viewProj;
void main() { gl_Position = u_viewProj * vec4(a_pos, 1.0); }`;

const EDGE_FS = `#version 300 es
precision mediump float;
uniform vec4 u_color;
out vec4 o;
void main() { o = u_color; }`;

const R = {}; // GL resources

function shader(type, src) {
  const s = gl.createShader(type);
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

function program(vs, fs) {
  const p = gl.createProgram();
  gl.attachShader(p, shader(gl.VERTEX_SHADER, vs));
  gl.attachShader(p, shader(gl.FRAGMENT_SHADER, fs));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
  const u = {};
  const n = gl.getProgramParameter(p, gl.ACTIVE_UNIFORMS);
  for (let i = 0; i < n; i++) {
    const name = gl.getActiveUniform(p, i).name;
    u[name] = gl.getUniformLocation(p, name);
  }
  return { p, u };
}

function initGL() {
  R.node = program(NODE_VS, NODE_FS);
  R.edge = program(EDGE_VS, EDGE_FS);
  R.pos = gl.createBuffer();
  R.attr = gl.createBuffer();
  R.state = gl.createBuffer();
  R.eidx = gl.createBuffer();
  R.sidx = gl.createBuffer();
  R.cap = 0;
  R.scount = 0;
  R.maxPx = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE)[1];

  R.nodeVAO = gl.createVertexArray();
  gl.bindVertexArray(R.nodeVAO);
  gl.bindBuffer(gl.ARRAY_BUFFER, R.pos);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
  gl.bindBuffer(gl.ARRAY_BUFFER, R.attr);
  gl.enableVertexAttribArray(1);
  gl.vertexAttribPointer(1, 4, gl.FLOAT, false, 0, 0);
  gl.bindBuffer(gl.ARRAY_BUFFER, R.state);
  gl.enableVertexAttribArray(2);
  gl.vertexAttribPointer(2, 1, gl.UNSIGNED_BYTE, false, 0, 0);

  const edgeVAO = (idx) => {
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, R.pos);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, idx);
    return vao;
  };
  R.edgeVAO = edgeVAO(R.eidx);
  R.selVAO = edgeVAO(R.sidx);
  gl.bindVertexArray(null);
  dirty.pos = dirty.attr = dirty.state = dirty.edges = true;
}

// upload sends what changed since the last frame: positions once per
// animation frame however many position frames came, the rest when the
// graph's structure or the selection changed.
function upload() {
  if (R.cap < G.cap) {
    R.cap = G.cap;
    gl.bindBuffer(gl.ARRAY_BUFFER, R.pos);
    gl.bufferData(gl.ARRAY_BUFFER, R.cap * 12, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, R.attr);
    gl.bufferData(gl.ARRAY_BUFFER, R.cap * 16, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, R.state);
    gl.bufferData(gl.ARRAY_BUFFER, R.cap, gl.DYNAMIC_DRAW);
    dirty.pos = dirty.attr = dirty.state = true;
  }
  if (!G.count) return;
  if (dirty.pos) {
    gl.bindBuffer(gl.ARRAY_BUFFER, R.pos);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, G.pos, 0, G.count * 3);
    dirty.pos = false;
  }
  if (dirty.attr) {
    gl.bindBuffer(gl.ARRAY_BUFFER, R.attr);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, G.attr, 0, G.count * 4);
    dirty.attr = false;
  }
  if (dirty.state) {
    gl.bindBuffer(gl.ARRAY_BUFFER, R.state);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, G.state, 0, G.count);
    dirty.state = false;
  }
  if (dirty.edges) {
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, R.eidx);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, G.eidx.subarray(0, G.ecount * 2), gl.DYNAMIC_DRAW);
    dirty.edges = false;
  }
}

let draws = 0;
function draw() {
  const bg = colours.bg;
  gl.viewport(0, 0, canvas.width, canvas.height);
  gl.clearColor(bg[0], bg[1], bg[2], 1);
  gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
  if (!G.count) return;
  updateMatrices();
  gl.enable(gl.BLEND);

  // Edges under the nodes, added up so that bundles glow; fainter as the
  // graph grows, or 300,000 lines would be a white fog.
  const m = G.ecount;
  if (m) {
    const op = num('edges.opacity', 0.5) * Math.min(1, Math.sqrt(4000 / m)) * (sel >= 0 ? 0.4 : 1);
    gl.disable(gl.DEPTH_TEST);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE);
    gl.useProgram(R.edge.p);
    gl.uniformMatrix4fv(R.edge.u.u_viewProj, false, viewProj);
    const c = colours.edge;
    gl.uniform4f(R.edge.u.u_color, c[0], c[1], c[2], op);
    gl.bindVertexArray(R.edgeVAO);
    gl.drawElements(gl.LINES, m * 2, gl.UNSIGNED_INT, 0);
    if (sel >= 0 && R.scount) {
      gl.uniform4f(R.edge.u.u_color, 1.0, 0.78, 0.3, 0.85);
      gl.bindVertexArray(R.selVAO);
      gl.drawElements(gl.LINES, R.scount, gl.UNSIGNED_INT, 0);
    }
  }

  gl.enable(gl.DEPTH_TEST);
  gl.depthFunc(gl.LEQUAL);
  gl.depthMask(true);
  gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  gl.useProgram(R.node.p);
  const u = R.node.u;
  gl.uniformMatrix4fv(u.u_viewProj, false, viewProj);
  gl.uniform1f(u.u_scale, canvas.height / (2 * Math.tan(cam.fov / 2)));
  gl.uniform1f(u.u_nodeSize, num('nodes.nodeSize', 1.2));
  gl.uniform1f(u.u_minPx, 2.2 * dpr);
  gl.uniform1f(u.u_maxPx, Math.min(R.maxPx, 96 * dpr));
  gl.uniform1f(u.u_focus, sel >= 0 ? 1 : 0);
  gl.uniform1f(u.u_opacity, Math.max(0.2, num('nodes.opacity', 0.95)));
  gl.uniform1i(u.u_hover, hover);
  gl.bindVertexArray(R.nodeVAO);
  gl.drawArrays(gl.POINTS, 0, G.count);
  gl.bindVertexArray(null);
  draws++;
}

// ---------------------------------------------------------------- selection and picking

let sel = -1;
let hover = -1;
let pendingSelect = null;
let inspectorStale = false;

function forNeighbours(s, fn) {
  const e = G.eidx;
  for (let k = 0, n = G.ecount * 2; k < n; k += 2) {
    if (e[k] === s) fn(e[k + 1], k >> 1);
    else if (e[k + 1] === s) fn(e[k], k >> 1);
  }
}

function select(s) {
  if (s === undefined || s === null) s = -1;
  sel = s;
  refreshSelection();
  showInspector();
  sendPresence(true);
  needsDraw = true;
}

// refreshSelection marks the selection and its neighbours and gathers its
// edges into their own index buffer, drawn highlighted over the others.
function refreshSelection() {
  dirty.selection = false;
  G.state.fill(0, 0, G.count);
  dirty.state = true;
  if (sel < 0 || G.ids[sel] === undefined) { sel = -1; R.scount = 0; return; }
  const idx = [];
  forNeighbours(sel, (t) => { G.state[t] = 1; });
  const e = G.eidx;
  for (let k = 0, n = G.ecount * 2; k < n; k += 2) {
    if (e[k] === sel || e[k + 1] === sel) idx.push(e[k], e[k + 1]);
  }
  G.state[sel] = 2;
  R.scount = idx.length;
  if (!gl) return;
  gl.bindVertexArray(null);
  gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, R.sidx);
  gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, new Uint32Array(idx), gl.DYNAMIC_DRAW);
}

// pick finds the node under a point of the canvas (CSS pixels) by
// projecting every position with the current matrices: the front-most
// node whose disc holds the point, else the nearest within a few pixels.
function pick(x, y) {
  updateMatrices();
  const m = viewProj, pos = G.pos, attr = G.attr;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  const scale = h / (2 * Math.tan(cam.fov / 2));
  const ns = num('nodes.nodeSize', 1.2);
  let hit = -1, hitW = Infinity, near2 = -1, nearD = Infinity;
  const slack = 5;
  for (let s = 0; s < G.count; s++) {
    const rad = attr[s * 4 + 3];
    if (rad <= 0) continue;
    const px = pos[s * 3], py = pos[s * 3 + 1], pz = pos[s * 3 + 2];
    const cw = m[3] * px + m[7] * py + m[11] * pz + m[15];
    if (cw <= near) continue;
    const sx = ((m[0] * px + m[4] * py + m[8] * pz + m[12]) / cw * 0.5 + 0.5) * w;
    const sy = (0.5 - (m[1] * px + m[5] * py + m[9] * pz + m[13]) / cw * 0.5) * h;
    const dx = sx - x, dy = sy - y;
    if (dx > 100 || dx < -100 || dy > 100 || dy < -100) continue;
    const r = Math.min(Math.max(rad * ns * scale / cw, 1.5), 48); // as the shader clamps it
    const d2 = dx * dx + dy * dy;
    if (d2 <= r * r) {
      if (cw < hitW) { hitW = cw; hit = s; }
    } else if (d2 <= (r + slack) * (r + slack) && d2 < nearD) {
      nearD = d2; near2 = s;
    }
  }
  return hit >= 0 ? hit : near2;
}

// ---------------------------------------------------------------- labels

const LABELS = 28;
let panels = [];        // screen rectangles of the open panels
let panelsDirty = true;
const labelPool = [];
let top = [];          // slots of the highest-degree nodes, highest first
let topAt = 0;

function initLabels() {
  const box = $('labels');
  for (let i = 0; i < LABELS + 2; i++) {
    const el = document.createElement('span');
    el.hidden = true;
    box.appendChild(el);
    labelPool.push({ el, text: '', cls: '', shown: false });
  }
}

// computeTop keeps the 300 highest-degree nodes with a small min-heap:
// one pass over the degrees, no sort of the whole graph.
function computeTop() {
  const K = 300, heap = [], deg = G.deg, attr = G.attr;
  const less = (a, b) => deg[a] < deg[b];
  for (let s = 0; s < G.count; s++) {
    if (attr[s * 4 + 3] <= 0) continue;
    if (heap.length < K) {
      heap.push(s);
      let i = heap.length - 1;
      while (i > 0) { const p = (i - 1) >> 1; if (!less(heap[i], heap[p])) break; [heap[i], heap[p]] = [heap[p], heap[i]]; i = p; }
    } else if (deg[s] > deg[heap[0]]) {
      heap[0] = s;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
  }
  top = heap.sort((a, b) => deg[b] - deg[a]);
  dirty.top = false;
}

// placeLabels names the selected and hovered nodes, then the largest in
// view, leaving out any that would overlap one already placed.
function placeLabels() {
  const m = viewProj, pos = G.pos;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  const scale = h / (2 * Math.tan(cam.fov / 2));
  const ns = num('nodes.nodeSize', 1.2);
  if (panelsDirty) {
    panelsDirty = false;
    panels = [];
    for (const id of ['inspector', 'agents']) {
      const el = $(id);
      if (el.hidden) continue;
      const r = el.getBoundingClientRect();
      panels.push([r.left, r.top, r.right, r.bottom]);
    }
  }
  const placed = panels.slice(); // no label under a panel
  let used = 0;
  const hubDeg = top.length ? G.deg[top[Math.min(top.length - 1, 9)]] : 0;
  const put = (s, cls, force) => {
    if (s < 0 || G.ids[s] === undefined || used >= labelPool.length) return;
    const px = pos[s * 3], py = pos[s * 3 + 1], pz = pos[s * 3 + 2];
    const cw = m[3] * px + m[7] * py + m[11] * pz + m[15];
    if (cw <= near) return;
    const sx = ((m[0] * px + m[4] * py + m[8] * pz + m[12]) / cw * 0.5 + 0.5) * w;
    const sy = (0.5 - (m[1] * px + m[5] * py + m[9] * pz + m[13]) / cw * 0.5) * h;
    if (sx < -50 || sx > w + 10 || sy < 40 || sy > h + 10) return;
    let text = G.labels[s];
    if (text.length > 48) text = text.slice(0, 47) + '…';
    const r = Math.max(G.attr[s * 4 + 3] * ns * scale / cw, 1.5);
    const x = sx + r + 4, y = sy - 9;
    const rw = text.length * (cls ? 7.4 : 6.6) + 6, rh = 17;
    if (!force) {
      for (const p of placed) if (x < p[2] && x + rw > p[0] && y < p[3] && y + rh > p[1]) return;
    }
    placed.push([x, y, x + rw, y + rh]);
    const L = labelPool[used++];
    if (L.text !== text) { L.el.textContent = text; L.text = text; }
    if (L.cls !== cls) { L.el.className = cls; L.cls = cls; }
    L.el.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    if (!L.shown) { L.el.hidden = false; L.shown = true; }
  };
  put(sel, 'selected', true);
  if (hover !== sel) put(hover, 'hover', true);
  for (let i = 0; i < top.length && used < LABELS; i++) {
    const s = top[i];
    if (s === sel || s === hover) continue;
    if (sel >= 0 && G.state[s] === 0) continue; // while a node is selected, name its neighbours
    put(s, G.deg[s] >= hubDeg && hubDeg > 2 ? 'hub' : '', false);
  }
  for (let i = used; i < labelPool.length; i++) {
    const L = labelPool[i];
    if (L.shown) { L.el.hidden = true; L.shown = false; }
  }
}

// ---------------------------------------------------------------- inspector and edits

function showInspector() {
  inspectorStale = false;
  panelsDirty = true;
  const box = $('inspector');
  if (sel < 0) { box.hidden = true; return; }
  box.hidden = false;
  $('i-label').textContent = G.labels[sel];
  $('i-id').textContent = G.ids[sel];
  $('i-degree').textContent = String(G.deg[sel]);
  const table = $('i-meta');
  table.replaceChildren();
  const meta = G.meta[sel] || {};
  for (const k of Object.keys(meta).sort()) {
    const tr = document.createElement('tr');
    const a = document.createElement('td'), b = document.createElement('td');
    a.textContent = k;
    b.textContent = meta[k].length > 300 ? meta[k].slice(0, 299) + '…' : meta[k];
    tr.append(a, b);
    table.append(tr);
  }
  const list = $('i-neighbours');
  list.replaceChildren();
  const seen = new Set();
  forNeighbours(sel, (t) => { if (t !== sel) seen.add(t); });
  const ns = [...seen].sort((a, b) => G.deg[b] - G.deg[a]);
  for (const t of ns.slice(0, 60)) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.textContent = G.labels[t];
    a.title = G.ids[t] + ' · degree ' + G.deg[t];
    a.addEventListener('click', () => { select(t); flyTo(t); });
    li.append(a);
    list.append(li);
  }
  if (ns.length > 60) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = '… and ' + (ns.length - 60) + ' more';
    list.append(li);
  }
  if (!ns.length) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = 'none';
    list.append(li);
  }
  const input = $('rename-input');
  if (document.activeElement !== input) input.value = G.labels[sel];
}

// rename changes a node's label through the REST API; the change comes
// back as an event, like everyone else's.
async function rename(id, label) {
  return api('PATCH', nodePath(id), { label });
}

function newID() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b); // randomUUID needs a secure context, which a LAN http:// page is not
  return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// addLinked adds a node and an edge to it from another, in one batch: both
// or neither. The new node is placed near its neighbour, where the layout
// would take it anyway.
async function addLinked(fromId, label) {
  const s = G.slot.get(fromId);
  const id = newID();
  const node = { op: 'addNode', id, label };
  if (s !== undefined) {
    const r = num('physics.restLength', 30);
    node.position = { x: G.pos[s * 3] + r * (Math.random() - 0.5), y: G.pos[s * 3 + 1] + r * (Math.random() - 0.5), z: G.pos[s * 3 + 2] + r * (Math.random() - 0.5) };
  }
  await api('POST', '/api/graph/' + encodeURIComponent(G.id) + '/batch', { ops: [node, { op: 'addEdge', source: fromId, target: id }] });
  return id;
}

// ---------------------------------------------------------------- search

let results = [];
let active = 0;

function search(q) {
  q = q.trim().toLowerCase();
  if (!q) return [];
  const exact = [], prefix = [], sub = [];
  for (let s = 0; s < G.count; s++) {
    if (G.ids[s] === undefined) continue;
    let l = G.lower[s];
    if (l === undefined) l = G.lower[s] = G.labels[s].toLowerCase();
    if (l === q) exact.push(s);
    else if (l.startsWith(q)) prefix.push(s);
    else if (sub.length < 50 && l.includes(q)) sub.push(s);
  }
  const byDeg = (a, b) => G.deg[b] - G.deg[a];
  return [...exact.sort(byDeg), ...prefix.sort(byDeg), ...sub.sort(byDeg)].slice(0, 12);
}

function showResults() {
  const ul = $('results');
  ul.replaceChildren();
  results.forEach((s, i) => {
    const li = document.createElement('li');
    li.textContent = G.labels[s];
    if (G.ids[s] !== G.labels[s].toLowerCase()) {
      const small = document.createElement('small');
      small.textContent = G.ids[s];
      li.append(small);
    }
    if (i === active) li.className = 'active';
    li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(s); });
    ul.append(li);
  });
  ul.hidden = results.length === 0;
}

function choose(s) {
  $('results').hidden = true;
  $('search').blur();
  select(s);
  flyTo(s);
}

// ---------------------------------------------------------------- input

let dpr = 1;
let drag = null;
let pointer = null;

function resize() {
  dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    needsDraw = true;
    panelsDirty = true;
  }
}

function pan(dx, dy) {
  const e = eyePos();
  lookAt(view, e, cam.target);
  const k = (2 * cam.dist * Math.tan(cam.fov / 2)) / canvas.clientHeight;
  for (let i = 0; i < 3; i++) cam.target[i] += (-dx * view[i * 4] + dy * view[i * 4 + 1]) * k;
}

function setupInput() {
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    canvas.focus();
    canvas.setPointerCapture(e.pointerId);
    const panning = e.button === 2 || e.button === 1 || e.shiftKey;
    drag = { x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY, pan: panning, moved: false, button: e.button };
  });
  canvas.addEventListener('pointermove', (e) => {
    const r = canvas.getBoundingClientRect();
    pointer = { x: e.clientX - r.left, y: e.clientY - r.top, cx: e.clientX, cy: e.clientY };
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    drag.x = e.clientX; drag.y = e.clientY;
    if (!drag.moved && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) < 4) return;
    drag.moved = true;
    canvas.classList.add('dragging');
    cam.follow = false;
    cam.fly = null;
    if (drag.pan) pan(dx, dy);
    else {
      cam.yaw -= dx * 0.006;
      cam.pitch = Math.max(-1.5, Math.min(1.5, cam.pitch + dy * 0.006));
    }
    needsDraw = true;
  });
  canvas.addEventListener('pointerup', (e) => {
    canvas.classList.remove('dragging');
    const d = drag;
    drag = null;
    if (!d || d.moved || d.button !== 0) return;
    const r = canvas.getBoundingClientRect();
    select(pick(e.clientX - r.left, e.clientY - r.top));
  });
  canvas.addEventListener('pointerleave', () => { pointer = null; });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    cam.dist = Math.max(0.5, Math.min(1e7, cam.dist * Math.exp(e.deltaY * unit * 0.0012)));
    cam.follow = false;
    cam.fly = null;
    needsDraw = true;
  }, { passive: false });
  window.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
    if (e.key === 'Escape') {
      if (typing) e.target.blur();
      $('results').hidden = true;
      select(-1);
      return;
    }
    if (typing) return;
    const step = 0.08;
    switch (e.key) {
      case 'f': case 'F': fit(true); break;
      case '/': e.preventDefault(); $('search').focus(); break;
      case 'ArrowLeft': cam.yaw += step; break;
      case 'ArrowRight': cam.yaw -= step; break;
      case 'ArrowUp': cam.pitch = Math.min(1.5, cam.pitch + step); break;
      case 'ArrowDown': cam.pitch = Math.max(-1.5, cam.pitch - step); break;
      case '+': case '=': cam.dist /= 1.15; break;
      case '-': cam.dist *= 1.15; break;
      default: return;
    }
    needsDraw = true;
  });
  window.addEventListener('resize', resize);
  if (window.ResizeObserver) new ResizeObserver(resize).observe(canvas);

  $('fit').addEventListener('click', () => fit(true));
  $('inspector').querySelector('.close').addEventListener('click', () => select(-1));
  $('graph').addEventListener('change', (e) => { switchGraph(e.target.value).catch(() => {}); });

  let timer = 0;
  $('search').addEventListener('input', (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => { results = search(e.target.value); active = 0; showResults(); }, 60);
  });
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { active = Math.min(results.length - 1, active + 1); showResults(); e.preventDefault(); }
    if (e.key === 'ArrowUp') { active = Math.max(0, active - 1); showResults(); e.preventDefault(); }
    if (e.key === 'Enter') {
      results = search(e.target.value);
      if (results.length) choose(results[Math.min(active, results.length - 1)]);
    }
  });
  $('search').addEventListener('blur', () => { setTimeout(() => { $('results').hidden = true; }, 100); });

  $('rename').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sel < 0) return;
    const label = $('rename-input').value.trim();
    if (!label || label === G.labels[sel]) return;
    try { await rename(G.ids[sel], label); toast('Renamed.'); } catch (err) { toast(err.message, true); }
  });
  $('add').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sel < 0) return;
    const label = $('add-input').value.trim();
    if (!label) return;
    try {
      pendingSelect = await addLinked(G.ids[sel], label);
      $('add-input').value = '';
      toast('Added “' + label + '”.');
    } catch (err) { toast(err.message, true); }
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token-input').value.trim();
    if (!t) return;
    token = t;
    sessionStorage.setItem(TOKEN_KEY, t);
    $('tokenbox').hidden = true;
    restart();
  });
}

// hoverCheck picks under the pointer once per animation frame, not once
// per mouse event: at 100k nodes a pick is a pass over every position.
let hoverAt = null;
function hoverCheck() {
  if (drag && drag.moved) return;
  const p = pointer;
  const key = p ? p.x + ',' + p.y : null;
  if (key === hoverAt && !dirty.pos) return;
  hoverAt = key;
  const s = p ? pick(p.x, p.y) : -1;
  const tip = $('tip');
  if (s >= 0) {
    tip.textContent = G.labels[s] + (G.deg[s] ? '  ·  ' + G.deg[s] + (G.deg[s] === 1 ? ' link' : ' links') : '');
    tip.style.transform = `translate(${p.cx + 14}px, ${p.cy + 12}px)`;
    tip.hidden = false;
  } else {
    tip.hidden = true;
  }
  canvas.classList.toggle('over-node', s >= 0);
  if (s !== hover) { hover = s; needsDraw = true; }
}

// ---------------------------------------------------------------- status, toasts, token box

let toastTimer = 0;
function toast(text, error) {
  const el = $('toast');
  el.textContent = text;
  el.className = error ? 'error' : '';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, error ? 6000 : 2500);
}

function showTokenBox(message) {
  setConn('unauthorized');
  $('token-error').textContent = message || '';
  $('tokenbox').hidden = false;
  $('token-input').focus();
}

function updateStatus() {
  $('counts').textContent = G.id ? G.live.toLocaleString() + ' nodes · ' + G.ecount.toLocaleString() + ' edges' : '';
  $('fps').textContent = fps ? fps + ' fps' : '';
}

// ---------------------------------------------------------------- agents

let agentsTimer = 0;
async function refreshAgents() {
  clearTimeout(agentsTimer);
  agentsTimer = setTimeout(refreshAgents, 5000);
  if (document.hidden || conn === 'unauthorized') return;
  let list;
  try { list = (await api('GET', '/api/agents')).agents || []; } catch { return; }
  const box = $('agents');
  box.hidden = list.length === 0;
  panelsDirty = true;
  if (!list.length) return;
  $('agents-count').textContent = '(' + list.length + ')';
  const ul = $('agents-list');
  ul.replaceChildren();
  for (const a of list.slice(0, 200)) {
    const li = document.createElement('li');
    if (a.stale) li.className = 'stale';
    const name = document.createElement('span');
    name.textContent = (a.name || a.id) + (a.swarm ? ' · ' + a.swarm : '');
    name.title = a.currentTask || '';
    const st = document.createElement('span');
    st.className = 'state';
    st.dataset.state = a.state;
    st.textContent = a.state + (a.progress ? ' ' + Math.round(a.progress) + '%' : '');
    li.append(name, st);
    ul.append(li);
  }
}

// ---------------------------------------------------------------- start-up

let stopped = false;
let graphs = [];

async function refreshGraphList() {
  graphs = (await api('GET', '/api/graphs')).graphs || [];
  const picker = $('graph');
  picker.replaceChildren();
  for (const g of graphs) {
    const o = document.createElement('option');
    o.value = g.id;
    o.textContent = (g.name || g.id) + ' (' + g.nodes.toLocaleString() + ')';
    picker.append(o);
  }
  if (G.id) picker.value = G.id;
  return graphs;
}

async function switchGraph(id) {
  if (id === G.id && !loading) return;
  if (G.id) send({ type: 'unsubscribe', graph: G.id });
  const url = new URL(location.href);
  url.searchParams.set('graph', id);
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  frames.stream = -1;
  loading = true;
  held = [];
  select(-1);
  G.id = id;
  try {
    const c = await api('GET', '/api/graph/' + encodeURIComponent(id));
    build(c);
    $('graph').value = id;
  } catch (e) {
    if (e.status !== 401) toast('Could not load graph ' + id + ': ' + e.message, true);
    throw e;
  } finally {
    loading = false;
  }
  for (const ev of held) {
    if (ev.seq <= G.seq) continue;
    applyEvent(ev);
    G.seq = ev.seq;
  }
  held = [];
  cam.follow = true;
  fit(false);
  subscribe();
}

async function start() {
  stopped = false;
  setConn('connecting');
  try {
    const [list, tree] = await Promise.all([refreshGraphList(), api('GET', '/api/settings')]);
    flatten('', tree);
    applySettings();
    if (!gl && !initGraphics()) return;
    if (!list.length) { toast('The session has no graphs yet.'); return; }
    const want = new URLSearchParams(location.search).get('graph');
    let g = list.find((x) => x.id === want);
    if (want && !g) toast('No graph ' + want + ' here; showing another.', true);
    if (!g) g = list.filter((x) => x.type !== 'visionflow').sort((a, b) => (a.created < b.created ? 1 : -1))[0] || list[0];
    await switchGraph(g.id);
    connect();
    refreshAgents();
  } catch (e) {
    if (e.status === 401) return; // the token box is up
    setConn('error');
    toast(e.message, true);
  }
}

function restart() {
  stopped = true;
  if (ws) { const s = ws; ws = null; s.close(); }
  failedOpens = 0;
  backoff = 250;
  G.id = null;
  start();
}

// ---------------------------------------------------------------- the frame loop

let fps = 0, fpsFrames = 0, fpsAt = 0, statusAt = 0;
let alwaysDraw = false;
let frameMs = 0; // the page's own work in a drawn frame, smoothed

function frame(now) {
  requestAnimationFrame(frame);
  fpsFrames++;
  if (now - fpsAt >= 1000) { fps = Math.round((fpsFrames * 1000) / (now - fpsAt)); fpsFrames = 0; fpsAt = now; }
  if (now - statusAt >= 250) { statusAt = now; updateStatus(); }
  if (dirty.selection && gl) refreshSelection();
  if (inspectorStale) showInspector();
  if (dirty.top && now - topAt > 250) { topAt = now; computeTop(); needsDraw = true; }
  animateCamera(now);
  followLayout(now);
  hoverCheck();
  sendPresence(false);
  if (!gl || (!needsDraw && !alwaysDraw)) return;
  needsDraw = false;
  resize();
  upload();
  draw();
  placeLabels();
  const took = performance.now() - now;
  frameMs = frameMs ? frameMs * 0.9 + took * 0.1 : took;
}

// The debug and test handle: what the page holds, and its actions.
window.visionflow = {
  state: () => ({
    connection: conn, graph: G.id, seq: G.seq, nodes: G.live, edges: G.ecount,
    frames: frames.applied, frameFormat: frames.format, draws, fps, frameMs: Math.round(frameMs * 100) / 100, webgl2: !!gl, antialias: !!R.antialias, selected: sel >= 0 ? G.ids[sel] : null,
    tokenBox: !$('tokenbox').hidden, peers, labels: labelPool.filter((l) => l.shown).length,
  }),
  has: (id) => G.slot.has(id),
  label: (id) => { const s = G.slot.get(id); return s === undefined ? null : G.labels[s]; },
  position: (id) => { const s = G.slot.get(id); return s === undefined ? null : Array.from(G.pos.subarray(s * 3, s * 3 + 3)); },
  select: (id) => { const s = G.slot.get(id); select(s === undefined ? -1 : s); },
  flyTo: (id) => { const s = G.slot.get(id); if (s !== undefined) { select(s); flyTo(s); } },
  search: (q) => search(q).map((s) => G.ids[s]),
  rename: (id, label) => rename(id, label),
  addLinked: (id, label) => addLinked(id, label),
  fit: () => fit(false),
  set alwaysDraw(v) { alwaysDraw = !!v; },
  get alwaysDraw() { return alwaysDraw; },
};

initLabels();
setupInput();
resize();
requestAnimationFrame(frame);
start();
