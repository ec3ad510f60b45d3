package desktop

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"visionflow/app"
	"visionflow/net/client"
	"visionflow/task"
	"visionflow/telemetry"
)

// The window's telemetry goes to the host every interval; reports that
// cannot be sent (the host is not up yet) are kept and sent, in order,
// with the next.
func TestTelemetryIsKeptUntilTheHostTakesIt(t *testing.T) {
	// An address nothing listens on yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := client.New("http://"+addr, "window")
	u := newUploader(func(ctx context.Context, m telemetry.Metrics) error { return c.PostTelemetry(ctx, m) }, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	u.due(ctx, t0, 30*time.Second) // the first interval starts
	for range 4 {
		u.frame(10)
	}
	u.failure()
	u.due(ctx, t0.Add(30*time.Second), 30*time.Second) // refused: kept
	u.frame(40)
	u.due(ctx, t0.Add(45*time.Second), 30*time.Second) // not due yet
	if len(u.pending) != 1 || u.sent != 0 || u.pending[0].tries != 1 {
		t.Fatalf("%d pending, %d sent; want the refused report kept", len(u.pending), u.sent)
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	host, err := app.Start(ctx, app.Config{DB: filepath.Join(t.TempDir(), "host.db"), Addr: addr}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	u.due(ctx, t0.Add(60*time.Second), 30*time.Second)
	if len(u.pending) != 0 || u.sent != 2 {
		t.Fatalf("%d pending, %d sent; want both delivered", len(u.pending), u.sent)
	}
	got, err := c.RecentTelemetry(ctx, time.Time{}, 10, u.session)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("the host has %d reports: %+v", len(got), got)
	}
	older, newer := got[1], got[0] // newest first
	if !older.Timestamp.Equal(t0.Add(30*time.Second)) || older.AverageFrameTime != 10 || older.RenderCycles != 4 || older.ErrorCount != 1 || older.MemoryUsage <= 0 {
		t.Errorf("first report %+v", older)
	}
	if newer.AverageFrameTime != 40 || newer.RenderCycles != 5 {
		t.Errorf("second report %+v", newer)
	}
}

// A report the host refuses (the window's clock is an hour ahead) is tried
// three times, then handed to the host's dead-letter queue, and holds up no
// other report.
func TestRefusedTelemetryGoesToTheDeadLetterQueue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	host, err := app.Start(ctx, app.Config{DB: filepath.Join(t.TempDir(), "host.db"), Addr: ln.Addr().String()}, ln, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	c := client.New("http://"+host.Addr.String(), "window")
	u := newUploader(func(ctx context.Context, m telemetry.Metrics) error { return c.PostTelemetry(ctx, m) },
		func(ctx context.Context, h task.Handed) error { _, err := c.HandDeadLetter(ctx, h); return err })
	ahead := time.Now().Add(time.Hour)
	u.due(ctx, ahead, 30*time.Second)
	for i := 1; i <= 3; i++ {
		u.due(ctx, ahead.Add(time.Duration(i)*30*time.Second), 30*time.Second)
	}
	if u.dead != 1 || len(u.pending) != 2 || u.sent != 0 {
		t.Fatalf("%d dead, %d pending, %d sent", u.dead, len(u.pending), u.sent)
	}
	letters, err := c.DeadLetters(ctx, "", "", 0)
	if err != nil || len(letters) != 1 || letters[0].Kind != task.KindTelemetry || len(letters[0].Errors) != 3 ||
		!strings.Contains(letters[0].Errors[0], "ahead of the server's clock") || letters[0].Ref != u.session {
		t.Fatalf("the dead letter: %v %+v", err, letters)
	}
	// Retried, the host still refuses it: the letter stays open.
	if _, err := c.RetryDeadLetter(ctx, letters[0].ID); err == nil || !strings.Contains(err.Error(), "refused again") {
		t.Errorf("retrying a report still ahead: %v", err)
	}
	if d, err := c.DiscardDeadLetter(ctx, letters[0].ID); err != nil || d.State != task.LetterDiscarded {
		t.Errorf("discard: %v %+v", err, d)
	}
}

// A report the dead-letter queue refuses too is dropped rather than held
// forever; what is kept of its errors stays bounded.
func TestAReportRefusedEverywhereIsDropped(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("é", 2000) + "\x00\n"
	u := newUploader(func(context.Context, telemetry.Metrics) error { return errors.New(long) },
		func(context.Context, task.Handed) error { return &client.Error{Status: 400, Code: "invalid"} })
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	u.due(ctx, t0, time.Second)
	for i := 1; i <= 5; i++ {
		u.due(ctx, t0.Add(time.Duration(i)*time.Second), time.Second)
		for _, p := range u.pending {
			if len(p.errs) > maxAttempts {
				t.Fatalf("%d errors kept", len(p.errs))
			}
			for _, e := range p.errs {
				if len(e) > 1024 || strings.ContainsAny(e, "\x00\n") || !utf8.ValidString(e) {
					t.Fatalf("an error kept as %d bytes: %q…", len(e), e[:20])
				}
			}
		}
	}
	if u.dropped < 2 || u.dead != 0 || len(u.pending) > 3 {
		t.Fatalf("%d dropped, %d dead, %d pending", u.dropped, u.dead, len(u.pending))
	}
}
