package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"visionflow/net/wire"
	"visionflow/session"
	"visionflow/task"
)

func taskPath(id, move string) string {
	p := "/api/tasks/" + url.PathEscape(id)
	if move != "" {
		p += "/" + move
	}
	return p
}

// SubmitTask submits a task; it is stored when this returns.
func (c *Client) SubmitTask(ctx context.Context, sub task.Submission) (session.TaskView, error) {
	var v session.TaskView
	return v, c.doJSON(ctx, "POST", "/api/tasks", sub, &v)
}

// Tasks lists the tasks of a swarm ("" for all) in a state ("" for all).
func (c *Client) Tasks(ctx context.Context, swarm string, state task.State) ([]*task.Task, error) {
	q := url.Values{}
	if swarm != "" {
		q.Set("swarm", swarm)
	}
	if state != "" {
		q.Set("state", string(state))
	}
	var out struct {
		Tasks []*task.Task `json:"tasks"`
	}
	return out.Tasks, c.do(ctx, "GET", "/api/tasks?"+q.Encode(), "", nil, &out)
}

// Task returns a task with its subtasks.
func (c *Client) Task(ctx context.Context, id string) (session.TaskView, error) {
	var v session.TaskView
	return v, c.do(ctx, "GET", taskPath(id, ""), "", nil, &v)
}

// CancelTask withdraws a task and its unfinished subtasks.
func (c *Client) CancelTask(ctx context.Context, id string) (session.TaskView, error) {
	var v session.TaskView
	return v, c.doJSON(ctx, "POST", taskPath(id, "cancel"), struct{}{}, &v)
}

// ClaimTask claims the task named for an agent, or with id "" the best one
// it can claim; nil when there is none.
func (c *Client) ClaimTask(ctx context.Context, swarm, agentID, id string) (*task.Task, error) {
	p := "/api/tasks/claim"
	if id != "" {
		p = taskPath(id, "claim")
	}
	var out struct {
		Task *task.Task `json:"task"`
	}
	return out.Task, c.doJSON(ctx, "POST", p, wire.TaskMove{SwarmID: swarm, AgentID: agentID}, &out)
}

// PlanTask posts a planner's decomposition of a task it holds.
func (c *Client) PlanTask(ctx context.Context, agentID, id string, subtasks []task.Spec) (session.TaskView, error) {
	var v session.TaskView
	return v, c.doJSON(ctx, "POST", taskPath(id, "plan"), wire.TaskMove{AgentID: agentID, Subtasks: subtasks}, &v)
}

// UpdateTask reports the progress (0–100) of a task the agent holds.
func (c *Client) UpdateTask(ctx context.Context, agentID, id string, progress *float64, note string) (*task.Task, error) {
	var t task.Task
	return &t, c.doJSON(ctx, "POST", taskPath(id, "progress"), wire.TaskMove{AgentID: agentID, Progress: progress, Note: note}, &t)
}

// CompleteTask finishes a task the agent holds.
func (c *Client) CompleteTask(ctx context.Context, agentID, id, result string) (*task.Task, error) {
	var t task.Task
	return &t, c.doJSON(ctx, "POST", taskPath(id, "complete"), wire.TaskMove{AgentID: agentID, Result: result}, &t)
}

// FailTask ends the agent's attempt at a task with an error.
func (c *Client) FailTask(ctx context.Context, agentID, id, errText string) (*task.Task, error) {
	var t task.Task
	return &t, c.doJSON(ctx, "POST", taskPath(id, "fail"), wire.TaskMove{AgentID: agentID, Error: errText}, &t)
}

// DeadLetters lists the dead-letter queue in a state ("open" by default;
// "all" for every state), of a swarm ("" for all).
func (c *Client) DeadLetters(ctx context.Context, state, swarm string, limit int) ([]task.DeadLetter, error) {
	q := url.Values{}
	if swarm != "" {
		q.Set("swarm", swarm)
	}
	switch state {
	case "":
	case "all":
		q.Set("state", "")
	default:
		q.Set("state", state)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		DeadLetters []task.DeadLetter `json:"deadLetters"`
	}
	return out.DeadLetters, c.do(ctx, "GET", "/api/dlq?"+q.Encode(), "", nil, &out)
}

// HandDeadLetter gives the server work this client gave up on after its
// retries (a telemetry report), for its dead-letter queue.
func (c *Client) HandDeadLetter(ctx context.Context, h task.Handed) (task.DeadLetter, error) {
	var d task.DeadLetter
	return d, c.doJSON(ctx, "POST", "/api/dlq", h, &d)
}

// RetryDeadLetter tries a dead letter's work again.
func (c *Client) RetryDeadLetter(ctx context.Context, id string) (task.DeadLetter, error) {
	var d task.DeadLetter
	return d, c.doJSON(ctx, "POST", "/api/dlq/"+url.PathEscape(id)+"/retry", struct{}{}, &d)
}

// DiscardDeadLetter gives a dead letter's work up.
func (c *Client) DiscardDeadLetter(ctx context.Context, id string) (task.DeadLetter, error) {
	var d task.DeadLetter
	return d, c.doJSON(ctx, "POST", "/api/dlq/"+url.PathEscape(id)+"/discard", struct{}{}, &d)
}

// MoveTask sends an agent's move on a task over the stream (a claimTask,
// planTask, updateTask, completeTask or failTask message) and returns the
// task as it now is; a claim that found nothing returns nil.
func (s *Stream) MoveTask(ctx context.Context, typ string, mv wire.TaskMove) (*task.Task, error) {
	m, err := s.request(ctx, wire.ClientMessage{Type: typ, Task: &mv})
	if err != nil {
		return nil, err
	}
	var out wire.TaskMsg
	if err := json.Unmarshal(m.Raw, &out); err != nil {
		return nil, err
	}
	return out.Task, nil
}
