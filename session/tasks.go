package session

import (
	"context"

	"visionflow/task"
)

// Tasks is the work of the swarms: submitted tasks, split into subtasks by
// planners, claimed by agents under leases, retried with backoff, and the
// dead-letter queue. Every move is durable before it returns.
type Tasks interface {
	// SubmitTask stores a new task (and the subtasks it names).
	SubmitTask(ctx context.Context, who string, sub task.Submission) (TaskView, error)
	// Tasks lists at most limit tasks of a swarm ("" for all) in a state
	// ("" for all), oldest first.
	Tasks(ctx context.Context, swarm string, state task.State, limit int) ([]*task.Task, error)
	// Task returns a task with its subtasks.
	Task(ctx context.Context, id string) (TaskView, error)
	// CancelTask withdraws a task and its unfinished subtasks.
	CancelTask(ctx context.Context, who, id string) (TaskView, error)
	// ClaimTask gives an agent a task under a lease: the one named, or the
	// best it can claim (nil when there is none).
	ClaimTask(ctx context.Context, who, swarm, agentID, id string) (*task.Task, error)
	// PlanTask splits a task into subtasks, for the planner that holds it.
	PlanTask(ctx context.Context, who, agentID, id string, subtasks []task.Spec) (TaskView, error)
	// UpdateTask records the progress of a task the agent holds.
	UpdateTask(ctx context.Context, who, agentID, id string, progress *float64, note string) (*task.Task, error)
	// CompleteTask finishes a task the agent holds.
	CompleteTask(ctx context.Context, who, agentID, id, result string) (*task.Task, error)
	// FailTask ends the agent's attempt at a task with an error.
	FailTask(ctx context.Context, who, agentID, id, errText string) (*task.Task, error)
	// DeadLetters lists the dead-letter queue in a state and of a swarm
	// ("" for every state, every swarm), newest first.
	DeadLetters(ctx context.Context, state, swarm string, limit int) ([]task.DeadLetter, error)
	// RetryDeadLetter tries the work of a dead letter again.
	RetryDeadLetter(ctx context.Context, who, id string) (task.DeadLetter, error)
	// HandDeadLetter takes work a client gave up on after its own retries
	// (a telemetry report) into the dead-letter queue.
	HandDeadLetter(ctx context.Context, who string, h task.Handed) (task.DeadLetter, error)
	// DiscardDeadLetter gives up the work of a dead letter.
	DiscardDeadLetter(ctx context.Context, who, id string) (task.DeadLetter, error)
}

// TaskView is a task with its subtasks.
type TaskView struct {
	*task.Task
	SubtaskList []*task.Task `json:"subtaskList"`
}
