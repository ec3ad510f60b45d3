package mcp

import (
	"context"
	"fmt"
	"log/slog"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Proxy is an MCP server that serves another VisionFlow's tools: the stdio
// command uses it when a server already holds the database, so that every
// change goes through that server's session.
type Proxy struct {
	srv    *sdk.Server
	remote *sdk.ClientSession
}

// NewProxy connects to the MCP endpoint of a running VisionFlow (such as
// http://127.0.0.1:7733/mcp) and offers its tools as they are.
func NewProxy(ctx context.Context, endpoint, version string, log *slog.Logger) (*Proxy, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "visionflow-mcp-stdio", Version: version}, nil)
	remote, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: endpoint, DisableStandaloneSSE: true}, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the running VisionFlow at %s: %w", endpoint, err)
	}
	srv := sdk.NewServer(&sdk.Implementation{Name: "visionflow", Title: "VisionFlow", Version: version}, &sdk.ServerOptions{
		Instructions: remote.InitializeResult().Instructions,
		Logger:       log,
	})
	for tool, err := range remote.Tools(ctx, nil) {
		if err != nil {
			remote.Close()
			return nil, fmt.Errorf("list the tools of %s: %w", endpoint, err)
		}
		srv.AddTool(tool, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return remote.CallTool(ctx, &sdk.CallToolParams{Name: req.Params.Name, Arguments: req.Params.Arguments})
		})
	}
	return &Proxy{srv: srv, remote: remote}, nil
}

// Run serves one client on t until it goes away or ctx ends.
func (p *Proxy) Run(ctx context.Context, t sdk.Transport) error { return p.srv.Run(ctx, t) }

// Close ends the connection to the running VisionFlow.
func (p *Proxy) Close() error { return p.remote.Close() }
