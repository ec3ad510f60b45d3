package desktop

import (
	"context"
	"fmt"
	"net"

	"github.com/skip2/go-qrcode"

	"visionflow/app"
	"visionflow/auth"
	"visionflow/net/wire"
	"visionflow/render/overlay"
	"visionflow/session"
)

// shareStatus says how the local session can be joined, and whether the
// window can make links to it (only when it is shared).
func (l *local) ShareStatus(context.Context) (string, bool) {
	if !l.srv.Shared {
		return "Only this machine can reach this session. To let people on your network join, start VisionFlow with --share.", false
	}
	return "Shared on " + l.host() + ": everyone who joins needs a link (a token).", true
}

// host is where peers reach the local server: this machine's first LAN
// address and the server's port.
func (l *local) host() string {
	_, port, _ := net.SplitHostPort(l.srv.Addr.String())
	return app.LANHost(port, "localhost")
}

func (l *local) ShareLink(ctx context.Context, role auth.Role) (string, error) {
	if !l.srv.Shared {
		return "", fmt.Errorf("this session is not shared: start VisionFlow with --share")
	}
	secret, _, err := l.srv.Session.CreateToken(ctx, "desktop", session.TokenRequest{Role: role})
	if err != nil {
		return "", err
	}
	return "http://" + l.host() + "/#token=" + secret, nil
}

// A joined window may make links to its host when its token is an admin's.
func (r *remote) ShareStatus(ctx context.Context) (string, bool) {
	me, err := r.c.WhoAmI(ctx)
	if err != nil {
		return "Joined " + r.url + ".", false
	}
	who := "without a token"
	if me.Name != "" {
		who = fmt.Sprintf("as %s (%s)", me.Name, me.Role)
	}
	if me.Role != auth.Admin {
		return fmt.Sprintf("Joined %s %s. Only an admin can make links.", r.url, who), false
	}
	return fmt.Sprintf("Joined %s %s.", r.url, who), true
}

func (r *remote) ShareLink(ctx context.Context, role auth.Role) (string, error) {
	nt, err := r.c.CreateToken(ctx, wire.TokenRequest{Role: role})
	if err != nil {
		return "", err
	}
	return r.url + "/#token=" + nt.Token, nil
}

// shareState reads how the session can be shared, for the share panel.
func (m *model) shareState(ctx context.Context) {
	status, can := m.src.ShareStatus(ctx)
	m.share.Store(&overlay.SharePanel{Status: status, CanMake: can})
}

// makeLink makes a join link for role, with its QR code.
func (m *model) makeLink(ctx context.Context, role string) {
	r, err := auth.ParseRole(role)
	if err != nil {
		m.say("%v", err)
		return
	}
	link, err := m.src.ShareLink(ctx, r)
	if err != nil {
		m.say("no link: %v", err)
		return
	}
	p := *m.share.Load()
	p.Link, p.Role, p.QR = link, role, nil
	if qr, err := qrcode.New(link, qrcode.Medium); err == nil {
		qr.DisableBorder = false
		p.QR = qr.Image(256)
	}
	m.share.Store(&p)
}
