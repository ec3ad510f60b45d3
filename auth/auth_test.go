package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRolesAllowWhatTheyShould(t *testing.T) {
	want := map[Role][]Action{
		Viewer: {Read},
		Editor: {Read, Edit, Assign},
		Agent:  {Read, Work, Assign},
		Admin:  {Read, Edit, Work, Assign, Administer},
	}
	for _, r := range Roles {
		for a := Read; a <= Administer; a++ {
			allowed := false
			for _, w := range want[r] {
				allowed = allowed || w == a
			}
			if r.Can(a) != allowed {
				t.Errorf("%s.Can(%s) = %v", r, a, r.Can(a))
			}
		}
	}
	if Role("root").Can(Read) {
		t.Error("an unknown role may read")
	}
	if _, err := ParseRole("root"); err == nil || !strings.Contains(err.Error(), "viewer, editor, agent, admin") {
		t.Errorf("ParseRole(root): %v", err)
	}
}

func TestDeniedSaysWhatIsMissing(t *testing.T) {
	p := Principal{TokenID: "abc", Name: "alice", Role: Viewer}
	err := p.Allow(Edit)
	var d *Denied
	if !errors.As(err, &d) {
		t.Fatalf("viewer may edit: %v", err)
	}
	for _, s := range []string{`"alice"`, "viewer", "edit graphs", "editor or admin"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %s", err, s)
		}
	}
	if Local.Allow(Administer) != nil || !Local.Anonymous() {
		t.Error("the local session is not an anonymous admin")
	}
	ctx := With(context.Background(), p)
	if got, ok := From(ctx); !ok || got != p {
		t.Errorf("From = %+v %v", got, ok)
	}
	if _, ok := From(context.Background()); ok {
		t.Error("an empty context carries a principal")
	}
}

func TestTokensAreMadeParsedAndHashed(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	secret, tok, err := New(rand.Reader, "", Editor, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := Parse(secret)
	if err != nil || id != tok.ID || len(id) != 10 {
		t.Fatalf("Parse(%q) = %q, %v; want %q", secret, id, err, tok.ID)
	}
	if tok.Name != "editor-"+tok.ID || !bytes.Equal(tok.Hash, Hash(secret)) || strings.Contains(string(tok.Hash), secret) {
		t.Errorf("token record %+v", tok)
	}
	if !tok.Active(now.Add(59*time.Minute)) || tok.Active(now.Add(time.Hour)) {
		t.Error("expiry is not kept")
	}
	tok.Revoked = now
	if tok.Active(now) {
		t.Error("a revoked token is active")
	}
	other, _, _ := New(rand.Reader, "x", Viewer, now, 0)
	if other == secret {
		t.Error("two tokens are the same")
	}
	for _, bad := range []string{"", "vf_", secret[:len(secret)-1], secret + "a", strings.ToUpper(secret), "xx" + secret[2:],
		secret[:13] + "-" + secret[14:], secret[:20] + "1" + secret[21:]} {
		if _, err := Parse(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
	if _, _, err := New(rand.Reader, "n", Role("root"), now, 0); err == nil {
		t.Error("a token of an unknown role was made")
	}
	if _, _, err := New(rand.Reader, "a\nb", Viewer, now, 0); err == nil {
		t.Error("a name with a newline was taken")
	}
	if _, _, err := New(rand.Reader, strings.Repeat("n", 65), Viewer, now, 0); err == nil {
		t.Error("a 65-byte name was taken")
	}
	if _, _, err := New(rand.Reader, "n", Viewer, now, -time.Second); err == nil {
		t.Error("a token that expired before it was made was made")
	}
}

func TestLimitsRefuseBeyondTheRateAndRefill(t *testing.T) {
	var l Limits
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		if d := l.Take("a", 2, 5, now); d != 0 {
			t.Fatalf("request %d of a burst of 5 waited %v", i, d)
		}
	}
	d := l.Take("a", 2, 5, now)
	if d != 500*time.Millisecond || RetryAfter(d) != 1 {
		t.Errorf("sixth request: wait %v (Retry-After %d), want 500ms", d, RetryAfter(d))
	}
	// Refused requests spend nothing: after half a second one more goes.
	if d := l.Take("a", 2, 5, now.Add(500*time.Millisecond)); d != 0 {
		t.Errorf("after the wait: %v", d)
	}
	if d := l.Take("b", 2, 5, now); d != 0 {
		t.Errorf("another key shares a's bucket: %v", d)
	}
	if d := l.Take("a", 0, 5, now); d != 0 {
		t.Errorf("no limit waited %v", d)
	}
	if RetryAfter(2100*time.Millisecond) != 3 {
		t.Error("Retry-After rounds down")
	}
}

func FuzzParse(f *testing.F) {
	s, _, _ := New(rand.Reader, "", Viewer, time.Now(), 0)
	f.Add(s)
	f.Add("vf_")
	f.Fuzz(func(t *testing.T, in string) {
		id, err := Parse(in)
		if err == nil && (len(id) != idLen || !strings.HasPrefix(in, prefix+id+"_")) {
			t.Fatalf("Parse(%q) = %q", in, id)
		}
	})
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "7d": 7 * 24 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute} {
		if got, err := ParseTTL(in); err != nil || got != want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1h", "d", "1.5d", "07d", "4000d", "soon", "0d"} {
		if _, err := ParseTTL(bad); err == nil {
			t.Errorf("ParseTTL(%q) took it", bad)
		}
	}
}
