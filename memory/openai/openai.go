// Package openai calls an OpenAI-compatible embeddings endpoint (POST
// {base}/embeddings: OpenAI, Ollama, llama.cpp's server, vLLM, LocalAI and
// others) and checks what it answers.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"visionflow/memory"
)

// Config says where the endpoint is and how to call it.
type Config struct {
	URL     string        // the API's base, such as http://localhost:11434/v1
	Model   string        // such as nomic-embed-text or text-embedding-3-small
	Key     string        // sent as a bearer token when set
	Timeout time.Duration // per call (default 10 s)
	Client  *http.Client  // default: one of its own
}

// Client is an embedder backed by an endpoint.
type Client struct {
	cfg      Config
	endpoint string
	name     string
}

var _ memory.Embedder = (*Client)(nil)

// ErrStatus is wrapped by errors of answers that are not 200 OK; Retryable
// tells which are worth another try.
var ErrStatus = errors.New("the endpoint answered with an error")

// StatusError is an answer that is not 200 OK.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v: %d %s: %s", ErrStatus, e.Code, http.StatusText(e.Code), e.Body)
}
func (e *StatusError) Unwrap() error { return ErrStatus }

// Retryable reports whether an error may go away on another try: a busy or
// failing server, or a connection that did not happen. A timeout, or an
// answer that made no sense, is not tried again.
func Retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	var ue *url.Error
	return errors.As(err, &ue) && !ue.Timeout() && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// New checks a configuration and returns its client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("embeddings URL %q: want http(s)://host[:port]/path, such as http://localhost:11434/v1", cfg.URL)
	}
	if cfg.Model == "" {
		return nil, errors.New("embeddings model: name the model the endpoint should use")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	return &Client{cfg: cfg, endpoint: strings.TrimSuffix(cfg.URL, "/") + "/embeddings", name: "openai:" + cfg.Model + "@" + u.Host}, nil
}

// Name is "openai:MODEL@HOST".
func (c *Client) Name() string { return c.name }

// maxAnswer bounds an answer's size.
const maxAnswer = 64 << 20

type request struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
}

type answer struct {
	Data []struct {
		Index     *int      `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// Embed asks the endpoint for the texts' vectors, within the timeout, and
// checks that it answered one finite, non-zero vector per text, all of one
// size.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	body, _ := json.Marshal(request{Model: c.cfg.Model, Input: texts, EncodingFormat: "float"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Key)
	}
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("%s did not answer within %v: %w", c.endpoint, c.cfg.Timeout, err)
		}
		return nil, fmt.Errorf("call %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", c.endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Code: resp.StatusCode, Body: c.redact(snippet(raw))}
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("%s answered more than %d MiB", c.endpoint, maxAnswer>>20)
	}
	out, err := Parse(raw, len(texts))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", c.endpoint, c.redact(err.Error()))
	}
	return out, nil
}

// redact takes the key out of text an endpoint answered (some echo the
// credential they refuse), which goes on to logs, memories and dead
// letters.
func (c *Client) redact(s string) string {
	if c.cfg.Key == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.cfg.Key, "****")
	// A key cut short by the snippet leaves a prefix of it at the end.
	for n := len(c.cfg.Key) - 1; n >= 4; n-- {
		if strings.HasSuffix(strings.TrimSuffix(s, "…"), c.cfg.Key[:n]) {
			return strings.TrimSuffix(strings.TrimSuffix(s, "…"), c.cfg.Key[:n]) + "****…"
		}
	}
	return s
}

// Parse reads an embeddings answer for n texts: one finite, non-zero
// vector per text, all of one size, each scaled to unit length.
func Parse(raw []byte, n int) ([][]float32, error) {
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("the answer is not an embeddings response (%v): %s", err, snippet(raw))
	}
	if len(a.Data) != n {
		return nil, fmt.Errorf("the answer holds %d vectors for %d texts", len(a.Data), n)
	}
	out := make([][]float32, n)
	dims := 0
	for i, d := range a.Data {
		at := i
		if d.Index != nil {
			at = *d.Index
		}
		if at < 0 || at >= n || out[at] != nil {
			return nil, fmt.Errorf("the answer holds a vector for text %d, which was not asked or is answered twice", at)
		}
		v, err := memory.CheckVector(d.Embedding, dims)
		if err != nil {
			return nil, fmt.Errorf("the answer holds %v for text %d", err, at)
		}
		dims, out[at] = len(v), v
	}
	return out, nil
}

// snippet shortens an answer for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
