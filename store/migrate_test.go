package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

// fixtures write data the way each schema version stored it, in that
// version's own SQL, so the upgrade test proves old files keep their data.
var fixtures = map[int]string{
	1: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, node_count, edge_count)
		VALUES ('old', 'Old graph', 'logseq', 1700000000000, 3, 3, 2, 1);
	INSERT INTO nodes VALUES ('old', 'a', 1073741825, 'A', 0, x'01016b0176');
	INSERT INTO nodes VALUES ('old', 'b', 1073741826, 'B', 1, NULL);
	INSERT INTO layout VALUES ('old', 0, ?);
	INSERT INTO edges VALUES ('old', 'e1', 'a', 'b', 3, x'03046c696e6b00000040');
	INSERT INTO events VALUES ('old', 1, 111411200000000000, 'NodeAdded',
		'{"seq":1,"hlc":111411200000000000,"type":"NodeAdded","node":{"id":"a","wireId":1073741825,"label":"A","position":{"x":1,"y":2,"z":3},"velocity":{"x":0,"y":0,"z":0},"metadata":{"k":"v"},"graphType":"logseq"}}');
	INSERT INTO events VALUES ('old', 2, 111411200000000001, 'NodeAdded',
		'{"seq":2,"hlc":111411200000000001,"type":"NodeAdded","node":{"id":"b","wireId":1073741826,"label":"B","position":{"x":4,"y":5,"z":6},"velocity":{"x":0,"y":0,"z":0},"graphType":"logseq","pinned":true}}');
	INSERT INTO events VALUES ('old', 3, 111411200000000002, 'EdgeCreated',
		'{"seq":3,"hlc":111411200000000002,"type":"EdgeCreated","edge":{"id":"e1","source":"a","target":"b","label":"link","weight":2}}');`,
	2: `INSERT INTO settings VALUES ('physics.springK', '0.25');
	INSERT INTO settings_history (path, old, new, at_ms, client) VALUES ('physics.springK', '0.05', '0.25', 1700000000000, 'old-client');`,
	3: `INSERT INTO swarms VALUES ('crew', 'old', 1700000000000);
	INSERT INTO agent_history (swarm, agent, at_ms, kind, state, body) VALUES ('crew', 'a1', 1700000000000, 'first', 'idle', '{"id":"a1"}');
	INSERT INTO agent_commands VALUES ('c1', 'crew', 'a1', 'queued', 1700000000000,
		'{"id":"c1","swarm":"crew","agentId":"a1","kind":"pause","by":"op","state":"queued","queuedAt":"2023-11-14T22:13:20Z"}');
	INSERT INTO telemetry (session, at_ms, body) VALUES ('s1', 1700000000000, '{"sessionId":"s1","activeAgents":3,"timestamp":"2023-11-14T22:13:20Z"}');`,
	4: `INSERT INTO tasks VALUES ('t1', 'crew', '', 'dead', 1700000000000, 1700000000000,
		'{"id":"t1","swarmId":"crew","title":"old work","state":"dead","requires":[],"knowledge":[],"dependsOn":[],"subtasks":[],"attempts":[],"maxAttempts":1,"by":"op","created":"2023-11-14T22:13:20Z","updated":"2023-11-14T22:13:20Z"}');
	INSERT INTO dead_letters VALUES ('d1', 'task', 't1', 'crew', 'open', 1700000000000, 1700000000000,
		'{"id":"d1","kind":"task","ref":"t1","swarm":"crew","state":"open","title":"old work","errors":["boom"],"created":"2023-11-14T22:13:20Z","updated":"2023-11-14T22:13:20Z"}');`,
	5: `INSERT INTO memories VALUES ('m1', 'crew', 'a1', 'fact', 0.5, 0, '["n1"]', CAST('old news' AS BLOB), 0, 8, 'local:ngram-384',
		x'0000803f', '', 1700000000000);`,
	6: `INSERT INTO tokens VALUES ('abcdefghij', 'old-admin', 'admin', x'00112233', 1700000000000, 0, 0, 0);`,
	7: `INSERT INTO meta VALUES ('replica', 'oldreplica');
	INSERT INTO crdt_ops (graph_id, replica, n, body) VALUES ('old', 'oldreplica', 1, '{"stamp":{"t":1,"r":"oldreplica","n":1},"kind":"addNode","id":"a"}');
	INSERT INTO crdt_cursor VALUES ('old', 3);`,
	8: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count, importing)
		VALUES ('unfinished', 'half an import', 'logseq', 1700000000000, 0, 1, 1, 0, 0, 1);`,
	// An import's first two events in a block, a later one as a row.
	9: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count)
		VALUES ('blocked', 'Blocked', 'logseq', 1700000000000, 3, 3, 1, 2, 1);
	INSERT INTO nodes VALUES ('blocked', 'a', 1073741825, 'A', 0, x'01016b0176');
	INSERT INTO nodes VALUES ('blocked', 'b', 1073741826, 'B', 1, NULL);
	INSERT INTO edges VALUES ('blocked', 'e1', 'a', 'b', 3, x'03046c696e6b00000040');
	INSERT INTO event_blocks VALUES ('blocked', 1, 2, 111411200065536000, ?);
	INSERT INTO events VALUES ('blocked', 3, 111411200131072000, 'EdgeCreated',
		'{"seq":3,"hlc":111411200131072000,"type":"EdgeCreated","edge":{"id":"e1","source":"a","target":"b","label":"link","weight":2}}');`,
	// A log in v11's form: a lone edit's event as a plain block, then a
	// compressed block of two.
	11: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count)
		VALUES ('plain', 'Plain', 'logseq', 1700000000000, 3, 3, 1, 2, 1);
	INSERT INTO nodes VALUES ('plain', 'a', 1073741825, 'A', 0, NULL);
	INSERT INTO nodes VALUES ('plain', 'b', 1073741826, 'B', 0, NULL);
	INSERT INTO edges VALUES ('plain', 'e1', 'a', 'b', 3, NULL);
	INSERT INTO event_blocks VALUES ('plain', 1, 1, 111411200000000000, ?1);
	INSERT INTO event_blocks VALUES ('plain', 2, 3, 111411200131072000, ?2);
	INSERT INTO snapshots (graph_id, seq, hlc, data) VALUES ('plain', 3, 111411200131072000, ?3);`,
	// A snapshot in two pieces.
	12: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count)
		VALUES ('pieces', 'Pieces', 'logseq', 1700000000000, 3, 3, 2, 2, 1);
	INSERT INTO nodes VALUES ('pieces', 'a', 1073741825, 'A', 0, NULL);
	INSERT INTO nodes VALUES ('pieces', 'b', 1073741826, 'B', 0, NULL);
	INSERT INTO edges VALUES ('pieces', 'e1', 'a', 'b', 3, NULL);
	INSERT INTO snapshots VALUES ('pieces', 3, 1, 111411200131072000, ?2);
	INSERT INTO snapshots VALUES ('pieces', 3, 0, 111411200131072000, ?1);`,
	// A layout row that ends after its last node (slot 2).
	10: `INSERT INTO graphs (id, name, type, created_ms, seq, next_wire, next_edge, node_count, edge_count)
		VALUES ('short', 'Short rows', 'logseq', 1700000000000, 0, 3, 1, 2, 0);
	INSERT INTO nodes VALUES ('short', 'a', 1073741825, 'A', 0, NULL);
	INSERT INTO nodes VALUES ('short', 'b', 1073741826, 'B', 0, NULL);
	INSERT INTO layout VALUES ('short', 0, ?);`,
}

// fixtureArgs are the parameters of the fixtures: v1's layout row puts node
// a (wire index 1) at 1,2,3 and node b (index 2) at 4,5,6.
var fixtureArgs = map[int][]any{
	9: {importEncoder.EncodeAll([]byte(`{"seq":1,"hlc":111411200000000000,"type":"NodeAdded","node":{"id":"a","wireId":1073741825,"label":"A","position":{"x":1,"y":2,"z":3},"velocity":{"x":0,"y":0,"z":0},"metadata":{"k":"v"},"graphType":"logseq"}}
{"seq":2,"hlc":111411200065536000,"type":"NodeAdded","node":{"id":"b","wireId":1073741826,"label":"B","position":{"x":4,"y":5,"z":6},"velocity":{"x":0,"y":0,"z":0},"graphType":"logseq","pinned":true}}
`), nil)},
	11: {[]byte(`{"seq":1,"hlc":111411200000000000,"type":"NodeAdded","node":{"id":"a","wireId":1073741825,"label":"A","position":{"x":1,"y":2,"z":3},"velocity":{"x":0,"y":0,"z":0},"graphType":"logseq"}}
`), importEncoder.EncodeAll([]byte(`{"seq":2,"hlc":111411200065536000,"type":"NodeAdded","node":{"id":"b","wireId":1073741826,"label":"B","position":{"x":4,"y":5,"z":6},"velocity":{"x":0,"y":0,"z":0},"graphType":"logseq"}}
{"seq":3,"hlc":111411200131072000,"type":"EdgeCreated","edge":{"id":"e1","source":"a","target":"b","weight":1}}
`), nil), fixtureSnapshot("plain", "Plain")},
	12: func() []any {
		data := fixtureSnapshot("pieces", "Pieces")
		return []any{data[:len(data)/2], data[len(data)/2:]}
	}(),
	10: {func() []byte {
		b := make([]byte, 3*24)
		for i, f := range []float32{7, 8, 9, 0, 0, 0, 10, 11, 12} {
			binary.LittleEndian.PutUint32(b[24+i*4:], math.Float32bits(f))
		}
		return b
	}()},
	1: {func() []byte {
		b := make([]byte, 1024*24)
		for i, f := range []float32{1, 2, 3, 0, 0, 0, 4, 5, 6} {
			binary.LittleEndian.PutUint32(b[24+i*4:], math.Float32bits(f))
		}
		return b
	}()},
}

// fixtureSnapshot is a stored snapshot of graph id as fixture 11 and 12
// write it: nodes a and b, edge e1 from a to b, at seq 3.
func fixtureSnapshot(id, name string) []byte {
	g := graph.New(graph.Info{ID: id, Name: name, Type: graph.Knowledge, Created: time.UnixMilli(1700000000000).UTC()})
	tx := g.Begin(graph.NewClock(func() time.Time { return g.Created }), "fixture")
	a, b := "A", "B"
	for _, op := range []graph.Op{{Op: graph.AddNode, ID: "a", Label: &a}, {Op: graph.AddNode, ID: "b", Label: &b}, {Op: graph.AddEdge, ID: "e1", Source: "a", Target: "b"}} {
		if _, err := tx.Do(op); err != nil {
			panic(err)
		}
	}
	tx.Commit()
	data, err := encodeSnapshot(g)
	if err != nil {
		panic(err)
	}
	return data
}

// retiredBy names the fixtures whose SQL writes a table that a later
// migration replaced, and that migration: they can only be written to a
// file older than it.
var retiredBy = map[int]int{1: 11, 9: 11} // the events table

// writable says whether fixture v can be written to a file of schema
// version at.
func writable(v, at int) bool { return v <= at && (retiredBy[v] == 0 || at < retiredBy[v]) }

// checks verify, against the newest schema, that each version's fixture
// survived.
var checks = map[int]func(t *testing.T, s *Store){
	1: func(t *testing.T, s *Store) {
		ctx := context.Background()
		g, err := s.LoadGraph(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := g.Node("a")
		b, _ := g.Node("b")
		e, _ := g.Edge("e1")
		if g.NodeCount() != 2 || a.Metadata["k"] != "v" || !b.Pinned || e.Weight != 2 || e.Label != "link" ||
			a.Position != (graph.Vec3{X: 1, Y: 2, Z: 3}) || b.Position != (graph.Vec3{X: 4, Y: 5, Z: 6}) || a.Type != graph.Knowledge {
			t.Errorf("old graph after upgrade: %+v %+v %+v", a, b, e)
		}
		evs, err := s.Events(ctx, "old", 0, 10)
		if err != nil || len(evs) != 3 || evs[2].Type != graph.EdgeCreated {
			t.Errorf("old events after upgrade: %v %+v", err, evs)
		}
		// The replayed history matches the stored state.
		replayed := graph.New(g.Info)
		replayed.Seq = 0
		if err := replayed.Replay(evs); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(replayed.Nodes(), g.Nodes()) {
			t.Error("old log does not replay to the old state")
		}
	},
	2: func(t *testing.T, s *Store) {
		ctx := context.Background()
		vals, err := s.LoadSettings(ctx)
		if err != nil || string(vals["physics.springK"]) != "0.25" {
			t.Errorf("old settings after upgrade: %v %v", err, vals)
		}
		hist, err := s.SettingsHistory(ctx, "", 0, 10)
		if err != nil || len(hist) != 1 || hist[0].Client != "old-client" {
			t.Errorf("old settings history after upgrade: %v %+v", err, hist)
		}
	},
	3: func(t *testing.T, s *Store) {
		ctx := context.Background()
		if sw, err := s.SwarmInfo(ctx, "crew"); err != nil || sw.KnowledgeGraph != "old" {
			t.Errorf("old swarm after upgrade: %v %+v", err, sw)
		}
		if h, err := s.AgentHistory(ctx, "crew", "a1", time.Time{}, 10); err != nil || len(h) != 1 || h[0].Kind != "first" {
			t.Errorf("old agent history after upgrade: %v %+v", err, h)
		}
		if c, err := s.Command(ctx, "c1"); err != nil || c.Kind != "pause" {
			t.Errorf("old command after upgrade: %v %+v", err, c)
		}
		if m, err := s.RecentTelemetry(ctx, time.Time{}, 10, "s1"); err != nil || len(m) != 1 || m[0].ActiveAgents != 3 {
			t.Errorf("old telemetry after upgrade: %v %+v", err, m)
		}
	},
	4: func(t *testing.T, s *Store) {
		ctx := context.Background()
		if ts, err := s.AllTasks(ctx); err != nil || len(ts) != 1 || ts[0].Title != "old work" {
			t.Errorf("old tasks after upgrade: %v %+v", err, ts)
		}
		if d, err := s.DeadLetter(ctx, "d1"); err != nil || d.Errors[0] != "boom" {
			t.Errorf("old dead letter after upgrade: %v %+v", err, d)
		}
	},
	8: func(t *testing.T, s *Store) {
		// Graphs from before the mark are whole; the marked one is not listed.
		ctx := context.Background()
		list, err := s.ListGraphs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range list {
			if g.ID == "unfinished" {
				t.Errorf("a graph marked as importing is listed")
			}
		}
		var importing int
		if err := s.r.QueryRow("SELECT importing FROM graphs WHERE id = 'unfinished'").Scan(&importing); err != nil || importing != 1 {
			t.Errorf("the graph marked as importing is not stored as such (%d, %v)", importing, err)
		}
	},
	9: func(t *testing.T, s *Store) {
		ctx := context.Background()
		evs, err := s.Events(ctx, "blocked", 0, 10)
		if err != nil || len(evs) != 3 || evs[0].Node.ID != "a" || evs[1].Node.ID != "b" || evs[2].Type != graph.EdgeCreated {
			t.Fatalf("events from a block and a row: %v %+v", err, evs)
		}
		if evs, err := s.Events(ctx, "blocked", 1, 1); err != nil || len(evs) != 1 || evs[0].Seq != 2 {
			t.Errorf("one event from the middle of a block: %v %+v", err, evs)
		}
		if evs, err := s.Events(ctx, "blocked", 2, 10); err != nil || len(evs) != 1 || evs[0].Seq != 3 {
			t.Errorf("the events after a block: %v %+v", err, evs)
		}
		// Between the block's two events, and between the block and the row.
		for at, nodes := range map[graph.Timestamp][2]int{111411200000000000: {1, 0}, 111411200065536000: {2, 0}, 111411200131072000: {2, 1}} {
			g, err := s.GraphAt(ctx, "blocked", at.Wall())
			if err != nil || g.NodeCount() != nodes[0] || g.EdgeCount() != nodes[1] {
				t.Errorf("at %v: %v, want %d nodes and %d edges (%v)", at, g.Summary(), nodes[0], nodes[1], err)
			}
		}
	},
	11: func(t *testing.T, s *Store) {
		checkSnapshot(t, s, "plain", 1)
		ctx := context.Background()
		evs, err := s.Events(ctx, "plain", 0, 10)
		if err != nil || len(evs) != 3 || evs[0].Node.ID != "a" || evs[1].Node.ID != "b" || evs[2].Type != graph.EdgeCreated {
			t.Fatalf("events from a plain and a compressed block: %v %+v", err, evs)
		}
		for at, nodes := range map[graph.Timestamp][2]int{111411200000000000: {1, 0}, 111411200065536000: {2, 0}, 111411200131072000: {2, 1}} {
			g, err := s.GraphAt(ctx, "plain", at.Wall())
			if err != nil || g.NodeCount() != nodes[0] || g.EdgeCount() != nodes[1] {
				t.Errorf("at %v: %v, want %d nodes and %d edges (%v)", at, g.Summary(), nodes[0], nodes[1], err)
			}
		}
	},
	12: func(t *testing.T, s *Store) {
		checkSnapshot(t, s, "pieces", 2)
	},
	10: func(t *testing.T, s *Store) {
		g, err := s.LoadGraph(context.Background(), "short")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := g.Node("a")
		b, _ := g.Node("b")
		if a.Position != (graph.Vec3{X: 7, Y: 8, Z: 9}) || b.Position != (graph.Vec3{X: 10, Y: 11, Z: 12}) {
			t.Errorf("a short layout row put the nodes at %v and %v", a.Position, b.Position)
		}
	},
	7: func(t *testing.T, s *Store) {
		ctx := context.Background()
		if r, err := s.Replica(ctx); err != nil || r != "oldreplica" {
			t.Errorf("old replica id after upgrade: %v %q", err, r)
		}
		if ops, cursor, err := s.LoadCRDT(ctx, "old"); err != nil || cursor != 3 || len(ops) != 1 || ops[0].ID != "a" {
			t.Errorf("old CRDT ops after upgrade: %v %d %+v", err, cursor, ops)
		}
	},
	6: func(t *testing.T, s *Store) {
		if tok, err := s.TokenByHash(context.Background(), []byte{0, 0x11, 0x22, 0x33}); err != nil || tok.Name != "old-admin" || tok.Role != "admin" {
			t.Errorf("old token after upgrade: %v %+v", err, tok)
		}
	},
	5: func(t *testing.T, s *Store) {
		m, err := s.Memory(context.Background(), "m1")
		if err != nil || string(m.Packed) != "old news" || m.Links[0] != "n1" || len(m.Vector) != 1 || m.Vector[0] != 1 {
			t.Errorf("old memory after upgrade: %v %+v", err, m)
		}
	},
}

// checkSnapshot checks that graph id's snapshot at seq 3 is stored in
// pieces and reads back whole, and that the graph loads from it.
func checkSnapshot(t *testing.T, s *Store, id string, pieces int) {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := s.r.QueryRow("SELECT count(*) FROM snapshots WHERE graph_id = ? AND seq = 3", id).Scan(&n); err != nil || n != pieces {
		t.Errorf("%s's snapshot is in %d pieces (%v), want %d", id, n, err, pieces)
	}
	seq, data, err := readSnapshot(ctx, s.r, id, 3)
	if err != nil || seq != 3 {
		t.Fatalf("%s's snapshot at %d: %v", id, seq, err)
	}
	img, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.UnmarshalGraph(img)
	if err != nil || g.NodeCount() != 2 || g.EdgeCount() != 1 || g.Seq != 3 {
		t.Fatalf("%s's snapshot decodes to %v (%v)", id, g.Summary(), err)
	}
	if g, err := s.LoadGraph(ctx, id); err != nil || g.NodeCount() != 2 || g.EdgeCount() != 1 {
		t.Errorf("%s loads as %v (%v)", id, g.Summary(), err)
	}
}

func schemaOf(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, strings.Join(strings.Fields(s), " "))
	}
	return out
}

func TestMigrationsUpgradeFromEveryVersion(t *testing.T) {
	latest := SchemaVersion()
	if len(fixtures) != latest || len(checks) != latest {
		t.Fatalf("%d migrations but %d fixtures and %d checks: give every new migration a fixture and a check", latest, len(fixtures), len(checks))
	}
	ctx := context.Background()
	fresh := openTest(t, filepath.Join(t.TempDir(), "fresh.db"), Options{})
	want := schemaOf(t, fresh.w)
	fresh.Close()

	for from := 0; from < latest; from++ {
		t.Run(fmt.Sprintf("from_v%d", from), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", dsn(path, "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"))
			if err != nil {
				t.Fatal(err)
			}
			if err := migrateTo(ctx, db, from); err != nil {
				t.Fatal(err)
			}
			for v := 1; v <= from; v++ {
				if !writable(v, from) {
					continue
				}
				if _, err := db.Exec(fixtures[v], fixtureArgs[v]...); err != nil {
					t.Fatalf("fixture v%d: %v", v, err)
				}
			}
			db.Close()

			s := openTest(t, path, Options{})
			defer s.Close()
			var version int
			s.w.QueryRow("PRAGMA user_version").Scan(&version)
			if version != latest {
				t.Errorf("version %d after upgrade, want %d", version, latest)
			}
			if got := schemaOf(t, s.w); !reflect.DeepEqual(got, want) {
				t.Errorf("upgraded schema differs from a fresh one:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for v := 1; v <= from; v++ {
				if writable(v, from) {
					checks[v](t, s)
				}
			}
			// Data written after the upgrade works too.
			for v := from + 1; v <= latest; v++ {
				if !writable(v, latest) {
					continue
				}
				if _, err := s.w.Exec(fixtures[v], fixtureArgs[v]...); err != nil {
					t.Fatalf("fixture v%d on the upgraded file: %v", v, err)
				}
				checks[v](t, s)
			}
		})
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	s := openTest(t, path, Options{})
	s.w.Exec("PRAGMA user_version = 99")
	s.Close()
	_, err := Open(context.Background(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this VisionFlow understands") {
		t.Errorf("got %v", err)
	}
}
