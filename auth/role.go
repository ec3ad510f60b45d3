package auth

import (
	"fmt"
	"strings"
)

// Role is what a token lets its holder do.
type Role string

const (
	Viewer Role = "viewer" // reads graphs, settings and history, and streams
	Editor Role = "editor" // and edits graphs, directs agents, settles dead letters
	Agent  Role = "agent"  // and reports status, works on tasks, keeps memories
	Admin  Role = "admin"  // everything: settings, tokens, deleting graphs
)

// Roles lists the roles, least powerful first.
var Roles = []Role{Viewer, Editor, Agent, Admin}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q is not one of %s", s, roleList())
}

func roleList() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Action is a kind of thing a request does. Every REST route, WebSocket
// message and MCP tool names the one it needs.
type Action uint8

const (
	// Read: list, get, search, stream, history.
	Read Action = iota
	// Edit: change graphs (not delete them), import, direct agents with
	// commands, retry or discard dead letters.
	Edit
	// Work: what an agent does — report status, send messages, claim and
	// report on tasks, answer commands, keep memories, post telemetry.
	Work
	// Assign: hand out work and attention — submit and cancel tasks, point
	// the people at nodes. Editors and agents both do it.
	Assign
	// Administer: change settings, make and revoke tokens, delete graphs,
	// re-embed every memory.
	Administer
)

var actionNames = [...]string{Read: "read", Edit: "edit graphs", Work: "work as an agent", Assign: "assign work", Administer: "administer the server"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// Can reports whether role r allows action a.
func (r Role) Can(a Action) bool {
	switch r {
	case Admin:
		return true
	case Editor:
		return a == Read || a == Edit || a == Assign
	case Agent:
		return a == Read || a == Work || a == Assign
	case Viewer:
		return a == Read
	}
	return false
}

// RolesFor lists the roles that allow a, for messages that say what is
// missing.
func RolesFor(a Action) []Role {
	var out []Role
	for _, r := range Roles {
		if r.Can(a) {
			out = append(out, r)
		}
	}
	return out
}
