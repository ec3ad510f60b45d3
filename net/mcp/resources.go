package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/graph"
)

// graphURI is the resource of a graph: its summary and best-connected
// nodes, as get_graph gives them.
const graphURI = "visionflow://graph/"

func (s *Server) resources() {
	s.srv.AddResourceTemplate(&sdk.ResourceTemplate{
		Name:        "graph",
		Title:       "A VisionFlow graph",
		Description: "A graph's summary: its size, last event and best-connected nodes (list_graphs gives the ids).",
		URITemplate: graphURI + "{id}",
		MIMEType:    "application/json",
	}, func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		uri := req.Params.URI
		id := strings.TrimPrefix(uri, graphURI)
		if graph.ValidateGraphID(id) != nil {
			return nil, sdk.ResourceNotFoundError(uri)
		}
		sum, err := s.getGraph(ctx, "", graphArg{Graph: id})
		if errors.Is(err, graph.ErrNotFound) {
			return nil, sdk.ResourceNotFoundError(uri)
		}
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(sum)
		if err != nil {
			return nil, err
		}
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
	})
}
