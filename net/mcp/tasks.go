package mcp

import (
	"context"

	"visionflow/graph"
	"visionflow/session"
	"visionflow/task"
)

type submitArgs struct {
	SwarmID     string      `json:"swarmId"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Priority    int         `json:"priority,omitempty" jsonschema:"0 to 100; higher is taken first"`
	Requires    []string    `json:"requires,omitempty" jsonschema:"capabilities an agent needs to claim it"`
	Knowledge   []string    `json:"knowledge,omitempty" jsonschema:"ids of the knowledge nodes it concerns"`
	Subtasks    []task.Spec `json:"subtasks,omitempty" jsonschema:"a DAG: each with a key and the keys it depends on"`
}

func (s *Server) submitTask(ctx context.Context, who string, in submitArgs) (session.TaskView, error) {
	return s.b.SubmitTask(ctx, who, task.Submission{SwarmID: in.SwarmID, Title: in.Title, Description: in.Description,
		Priority: in.Priority, Requires: in.Requires, Knowledge: in.Knowledge, Subtasks: in.Subtasks})
}

type listTasksArgs struct {
	SwarmID string `json:"swarmId,omitempty"`
	State   string `json:"state,omitempty"`
	Limit   int    `json:"limit,omitempty" jsonschema:"at most this many, oldest first (1 to 10000; 100 when not given)"`
}

type taskList struct {
	Tasks []*task.Task `json:"tasks"`
}

func (s *Server) listTasks(ctx context.Context, _ string, in listTasksArgs) (taskList, error) {
	if in.Limit == 0 {
		in.Limit = 100
	}
	list, err := s.b.Tasks(ctx, in.SwarmID, task.State(in.State), in.Limit)
	return taskList{Tasks: nonNil(list)}, err
}

type taskArg struct {
	TaskID string `json:"taskId"`
}

func (s *Server) getTask(ctx context.Context, _ string, in taskArg) (session.TaskView, error) {
	return s.b.Task(ctx, in.TaskID)
}

type claimArgs struct {
	SwarmID string `json:"swarmId"`
	AgentID string `json:"agentId"`
	TaskID  string `json:"taskId,omitempty" jsonschema:"the task to claim; without it the best the agent can claim"`
}

type taskResult struct {
	Task *task.Task `json:"task"` // null when there was nothing to claim
}

func (s *Server) claimTask(ctx context.Context, who string, in claimArgs) (taskResult, error) {
	if in.AgentID == "" {
		return taskResult{}, &graph.Error{Kind: graph.ErrInvalid, Field: "agentId", Detail: "must not be empty"}
	}
	t, err := s.b.ClaimTask(ctx, who, in.SwarmID, in.AgentID, in.TaskID)
	return taskResult{Task: t}, err
}

type planArgs struct {
	AgentID  string      `json:"agentId"`
	TaskID   string      `json:"taskId"`
	Subtasks []task.Spec `json:"subtasks" jsonschema:"the subtasks: each with a title, and a key the others may name in dependsOn"`
}

func (s *Server) planTask(ctx context.Context, who string, in planArgs) (session.TaskView, error) {
	return s.b.PlanTask(ctx, who, in.AgentID, in.TaskID, in.Subtasks)
}

type updateArgs struct {
	AgentID  string   `json:"agentId"`
	TaskID   string   `json:"taskId"`
	Progress *float64 `json:"progress,omitempty" jsonschema:"0 to 100"`
	Note     string   `json:"note,omitempty"`
}

func (s *Server) updateTask(ctx context.Context, who string, in updateArgs) (taskResult, error) {
	t, err := s.b.UpdateTask(ctx, who, in.AgentID, in.TaskID, in.Progress, in.Note)
	return taskResult{Task: t}, err
}

type completeArgs struct {
	AgentID string `json:"agentId"`
	TaskID  string `json:"taskId"`
	Result  string `json:"result,omitempty"`
}

func (s *Server) completeTask(ctx context.Context, who string, in completeArgs) (taskResult, error) {
	t, err := s.b.CompleteTask(ctx, who, in.AgentID, in.TaskID, in.Result)
	return taskResult{Task: t}, err
}

type failArgs struct {
	AgentID string `json:"agentId"`
	TaskID  string `json:"taskId"`
	Error   string `json:"error" jsonschema:"what went wrong"`
}

func (s *Server) failTask(ctx context.Context, who string, in failArgs) (taskResult, error) {
	t, err := s.b.FailTask(ctx, who, in.AgentID, in.TaskID, in.Error)
	return taskResult{Task: t}, err
}
