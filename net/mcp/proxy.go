package mcp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Proxy is an MCP server that serves another VisionFlow's tools and
// resources: the stdio command uses it when a server already holds the
// database, so that every change goes through that server's session.
//
// The connection to the server is made in the name of the client on stdio
// (so the server's event log and audit trails name it) when that client
// first calls, and made again when the server has forgotten it (after its
// idle timeout or a restart).
type Proxy struct {
	endpoint, version string
	token             string // sent as a bearer token when set
	log               *slog.Logger
	srv               *sdk.Server

	mu     sync.Mutex
	remote *sdk.ClientSession
}

// NewProxy reads the tools and resource templates of the MCP endpoint of a
// running VisionFlow (such as http://127.0.0.1:7733/mcp) and offers them as
// they are. token, when not empty, is sent with every request (a shared
// server needs one).
func NewProxy(ctx context.Context, endpoint, token, version string, log *slog.Logger) (*Proxy, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{endpoint: endpoint, token: token, version: version, log: log}
	first, err := p.connect(ctx, "visionflow mcp")
	if err != nil {
		return nil, err
	}
	defer first.Close()
	p.srv = sdk.NewServer(&sdk.Implementation{Name: "visionflow", Title: "VisionFlow", Version: version}, &sdk.ServerOptions{
		Instructions: first.InitializeResult().Instructions,
		Logger:       log,
	})
	for tool, err := range first.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("list the tools of %s: %w", endpoint, err)
		}
		p.srv.AddTool(tool, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var res *sdk.CallToolResult
			err := p.call(ctx, req.Session, func(remote *sdk.ClientSession) (err error) {
				res, err = remote.CallTool(ctx, &sdk.CallToolParams{Name: req.Params.Name, Arguments: req.Params.Arguments})
				return err
			})
			return res, err
		})
	}
	for tmpl, err := range first.ResourceTemplates(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("list the resources of %s: %w", endpoint, err)
		}
		p.srv.AddResourceTemplate(tmpl, func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			var res *sdk.ReadResourceResult
			err := p.call(ctx, req.Session, func(remote *sdk.ClientSession) (err error) {
				res, err = remote.ReadResource(ctx, &sdk.ReadResourceParams{URI: req.Params.URI})
				return err
			})
			return res, err
		})
	}
	return p, nil
}

func (p *Proxy) connect(ctx context.Context, name string) (*sdk.ClientSession, error) {
	c := sdk.NewClient(&sdk.Implementation{Name: name, Version: p.version}, nil)
	t := &sdk.StreamableClientTransport{Endpoint: p.endpoint, DisableStandaloneSSE: true}
	if p.token != "" {
		t.HTTPClient = &http.Client{Transport: bearerTransport{token: p.token, next: http.DefaultTransport}}
	}
	remote, err := c.Connect(ctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the running VisionFlow at %s: %w", p.endpoint, err)
	}
	return remote, nil
}

// bearerTransport adds a bearer token to every request.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// call runs fn on the connection to the server, made in the stdio client's
// name on first use, and made again once if the server forgot it.
func (p *Proxy) call(ctx context.Context, from *sdk.ServerSession, fn func(*sdk.ClientSession) error) error {
	name := "stdio client"
	if from != nil {
		if ip := from.InitializeParams(); ip != nil && ip.ClientInfo != nil && ip.ClientInfo.Name != "" {
			name = ip.ClientInfo.Name
		}
	}
	for attempt := 0; ; attempt++ {
		p.mu.Lock()
		remote := p.remote
		if remote == nil {
			var err error
			if remote, err = p.connect(ctx, name); err != nil {
				p.mu.Unlock()
				return err
			}
			p.remote = remote
		}
		p.mu.Unlock()
		err := fn(remote)
		if err == nil || attempt > 0 || ctx.Err() != nil {
			return err
		}
		// The server may have dropped the session (idle, restarted):
		// connect again and retry once.
		p.log.Info("mcp proxy: the connection failed; connecting again", "err", err)
		p.mu.Lock()
		if p.remote == remote {
			p.remote.Close()
			p.remote = nil
		}
		p.mu.Unlock()
	}
}

// Run serves one client on t until it goes away or ctx ends.
func (p *Proxy) Run(ctx context.Context, t sdk.Transport) error { return p.srv.Run(ctx, t) }

// Close ends the connection to the running VisionFlow.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.remote != nil {
		return p.remote.Close()
	}
	return nil
}
