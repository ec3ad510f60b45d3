package overlay

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"visionflow/graph"
)

// StateColors are the colours of agents' states, in the window and the
// panels (Okabe and Ito's palette, readable on the dark background and by
// colour-blind people); idle agents take nodes.agentColor (SwarmPanel.Idle).
var StateColors = map[string][3]uint8{
	"thinking":      {0xcc, 0x79, 0xa7},
	"executing":     {0xf0, 0xe4, 0x42},
	"collaborating": {0x56, 0xb4, 0xe9},
	"blocked":       {0xe6, 0x9f, 0x00},
	"error":         {0xd5, 0x5e, 0x00},
	"stale":         {0x5b, 0x62, 0x70},
	"idle":          {0x40, 0xff, 0x00},
}

// TaskStateColors are the colours of tasks' states, in the scene and the
// swarm panel (the same palette: waiting cool, working warm, done green).
var TaskStateColors = map[string][3]uint8{
	"planning":  {0xcc, 0x79, 0xa7},
	"pending":   {0x7a, 0x86, 0x9a},
	"ready":     {0x56, 0xb4, 0xe9},
	"claimed":   {0xf0, 0xe4, 0x42},
	"running":   {0x00, 0x72, 0xb2},
	"failed":    {0xe6, 0x9f, 0x00},
	"dead":      {0xd5, 0x5e, 0x00},
	"done":      {0x00, 0x9e, 0x73},
	"cancelled": {0x5b, 0x62, 0x70},
}

func taskColor(s string) color.NRGBA {
	c, ok := TaskStateColors[s]
	if !ok {
		c = TaskStateColors["cancelled"]
	}
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// States in the order the swarm panel lists them.
var panelStates = []string{"idle", "thinking", "executing", "collaborating", "blocked", "error", "stale"}

// stateColor is a state's colour; idle agents look as in the scene
// (nodes.agentColor, as the swarm panel last gave it).
func (u *UI) stateColor(s string) color.NRGBA {
	c, ok := StateColors[s]
	if s == "idle" && u.idle != ([3]uint8{}) {
		c = u.idle
	}
	if !ok {
		c = StateColors["stale"]
	}
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// AgentInfo is what the inspector shows of an agent.
type AgentInfo struct {
	Swarm, ID     string
	Type          string
	State         string
	Control       string // running, paused or halted
	Task          string
	Capabilities  []string
	Stale         bool
	Progress      *float64
	Health        *float64
	Tokens        *int64
	TokenRate     *float64
	Collaborators []Neighbour
	WorkingOn     []Neighbour
	Spark         []float32 // token rates of its recent reports, oldest first
	LastSeen      time.Time
	Commands      []string // its recent commands, newest first
	Memories      []MemoryRow
}

// MemoryRow is a memory in the inspector or a search's result.
type MemoryRow struct {
	Agent string
	Type  string
	Text  string       // the start of its content
	Score float64      // a search's (0 in the inspector)
	Wire  graph.WireID // its agent's node, when the scene has it
}

// SwarmPanel is the swarm shown beside the graph.
type SwarmPanel struct {
	Idle    [3]uint8 // the colour of idle agents (nodes.agentColor)
	Swarm   string
	Swarms  []string       // every swarm working on the graph
	Counts  map[string]int // agents by state ("stale" for the silent)
	Agents  []AgentRow
	Tasks   []TaskRow   // the queue: open tasks first, then the latest finished
	Open    int         // tasks not finished
	Letters []LetterRow // the swarm's open dead letters
	// A memory search: what was asked and what it found (their links
	// are highlighted in the scene).
	MemoryQuery string
	MemoryHits  []MemoryRow
}

// TaskRow is a task in the swarm panel's queue.
type TaskRow struct {
	Wire     graph.WireID // its node in the swarm's graph
	Title    string
	State    string
	Progress float64
}

// LetterRow is an open dead letter in the swarm panel.
type LetterRow struct {
	ID, Title, Error string // Error: the last attempt's
}

// LetterAction is an operator's decision on a dead letter.
type LetterAction struct {
	ID    string
	Retry bool // else discard
}

// AgentRow is an agent in the swarm panel's list.
type AgentRow struct {
	Wire        graph.WireID
	Name        string
	State       string
	Control     string
	Progress    float64
	HasProgress bool
	Stale       bool
}

// CommandAction is an operator's command for the inspected agent.
type CommandAction struct {
	Kind string // pause, resume, halt, redirect
	Text string // redirect: the new task
}

// agentWidgets are the swarm panel's and the agent inspector's widgets.
type agentWidgets struct {
	ShowSwarm  bool
	swarmBtn   widget.Clickable
	filter     string
	stateBtns  map[string]*widget.Clickable
	agentBtns  map[graph.WireID]*widget.Clickable
	swarmPicks map[string]*widget.Clickable
	swarmList  widget.List
	swarmRect  image.Rectangle
	pauseBtn   widget.Clickable
	resumeBtn  widget.Clickable
	haltBtn    widget.Clickable
	redirBtn   widget.Clickable
	redirect   widget.Editor
	idle       [3]uint8 // nodes.agentColor
	taskBtns   map[graph.WireID]*widget.Clickable
	newTask    widget.Editor
	submitBtn  widget.Clickable
	retryBtns  map[string]*widget.Clickable
	dropBtns   map[string]*widget.Clickable
	memSearch  widget.Editor
	memBtn     widget.Clickable
	memClear   widget.Clickable
	hitBtns    map[string]*widget.Clickable
}

func (w *agentWidgets) init() {
	w.ShowSwarm = true
	w.stateBtns = map[string]*widget.Clickable{}
	w.agentBtns = map[graph.WireID]*widget.Clickable{}
	w.swarmPicks = map[string]*widget.Clickable{}
	w.taskBtns = map[graph.WireID]*widget.Clickable{}
	w.retryBtns = map[string]*widget.Clickable{}
	w.dropBtns = map[string]*widget.Clickable{}
	w.newTask.SingleLine, w.newTask.Submit = true, true
	w.memSearch.SingleLine, w.memSearch.Submit = true, true
	w.hitBtns = map[string]*widget.Clickable{}
	w.swarmList.Axis = layout.Vertical
	w.redirect.SingleLine, w.redirect.Submit = true, true
}

// Filter is the state the swarm panel's list shows ("": all).
func (u *UI) Filter() string { return u.filter }

// swarmPanel lists the swarm's agents by state, with counts a click turns
// into a filter, and lets the user pick an agent (or another swarm).
func (u *UI) swarmPanel(gtx layout.Context, p *SwarmPanel, act *Actions) layout.Dimensions {
	u.idle = p.Idle
	var rows []layout.Widget
	title := fmt.Sprintf("Swarm %s · %d agents", p.Swarm, len(p.Agents))
	rows = append(rows, material.Body1(u.th, title).Layout)
	if len(p.Swarms) > 1 {
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			var kids []layout.FlexChild
			for _, s := range p.Swarms {
				btn := clickable(u.swarmPicks, s)
				if btn.Clicked(gtx) && s != p.Swarm {
					act.SelectSwarm = s
				}
				label := s
				if s == p.Swarm {
					label = "● " + s
				}
				kids = append(kids, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
						return layout.UniformInset(unit.Dp(3)).Layout(gtx, material.Caption(u.th, label).Layout)
					})
				}))
			}
			return layout.Flex{}.Layout(gtx, kids...)
		})
	}
	// Counts by state, three to a row: a click shows only that state,
	// another click all.
	var chips []string
	for _, st := range panelStates {
		if p.Counts[st] > 0 || u.filter == st {
			chips = append(chips, st)
		}
	}
	for len(chips) > 0 {
		line := chips[:min(3, len(chips))]
		chips = chips[len(line):]
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			var kids []layout.FlexChild
			for _, st := range line {
				n := p.Counts[st]
				btn := clickable(u.stateBtns, st)
				if btn.Clicked(gtx) {
					if u.filter == st {
						u.filter = ""
					} else {
						u.filter = st
					}
				}
				kids = append(kids, layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
						text := fmt.Sprintf("● %s %d", st, n)
						if u.filter == st {
							text = fmt.Sprintf("▶ %s %d", st, n)
						}
						l := material.Caption(u.th, text)
						l.Color = u.stateColor(st)
						l.MaxLines = 1
						return layout.Inset{Top: unit.Dp(2), Bottom: unit.Dp(2)}.Layout(gtx, l.Layout)
					})
				}))
			}
			for range 3 - len(line) {
				kids = append(kids, layout.Flexed(1, func(layout.Context) layout.Dimensions { return layout.Dimensions{} }))
			}
			return layout.Flex{}.Layout(gtx, kids...)
		})
	}
	// The queue first, then the memory, then the agents.
	rows = append(rows, u.taskRows(p, act)...)
	rows = append(rows, u.memoryRows(p, act)...)
	rows = append(rows, material.Body1(u.th, "Agents").Layout)
	for _, a := range p.Agents {
		st := a.State
		if a.Stale {
			st = "stale"
		}
		if u.filter != "" && st != u.filter {
			continue
		}
		btn := u.agentBtns[a.Wire]
		if btn == nil {
			btn = new(widget.Clickable)
			u.agentBtns[a.Wire] = btn
		}
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if btn.Clicked(gtx) {
				act.SelectWire = a.Wire
			}
			text := "● " + a.Name + " — " + st
			if a.HasProgress {
				text += fmt.Sprintf(" %.0f%%", a.Progress)
			}
			if a.Control != "" && a.Control != "running" {
				text += " · " + a.Control
			}
			return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
				l := material.Caption(u.th, text)
				l.Color = u.stateColor(st)
				l.MaxLines = 1
				return layout.UniformInset(unit.Dp(1)).Layout(gtx, l.Layout)
			})
		})
	}
	return material.List(u.th, &u.swarmList).Layout(gtx, len(rows), func(gtx layout.Context, i int) layout.Dimensions {
		return rows[i](gtx)
	})
}

// taskRows are the swarm panel's queue: its tasks in their states'
// colours (a click selects the task's node), a box to submit a task, and
// the dead letters with the operator's retry and discard.
func (u *UI) taskRows(p *SwarmPanel, act *Actions) []layout.Widget {
	rows := []layout.Widget{material.Body1(u.th, fmt.Sprintf("Tasks · %d open", p.Open)).Layout}
	for _, tr := range p.Tasks {
		btn := u.taskBtns[tr.Wire]
		if btn == nil {
			btn = new(widget.Clickable)
			u.taskBtns[tr.Wire] = btn
		}
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if btn.Clicked(gtx) {
				act.SelectWire = tr.Wire
			}
			text := "■ " + tr.Title + " — " + tr.State
			if tr.Progress > 0 && tr.State != "done" {
				text += fmt.Sprintf(" %.0f%%", tr.Progress)
			}
			return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
				l := material.Caption(u.th, text)
				l.Color = taskColor(tr.State)
				l.MaxLines = 1
				return layout.UniformInset(unit.Dp(1)).Layout(gtx, l.Layout)
			})
		})
	}
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		if text, ok := u.entered(gtx, &u.newTask, &u.submitBtn); ok {
			act.SubmitTask = text
			u.newTask.SetText("")
			u.blur = true
		}
		return layout.Inset{Top: unit.Dp(4)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return widget.Border{Color: u.th.ContrastBg, Width: unit.Dp(1)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.UniformInset(unit.Dp(4)).Layout(gtx, material.Editor(u.th, &u.newTask, "A task for the swarm…").Layout)
					})
				}),
				layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
				layout.Rigid(material.Button(u.th, &u.submitBtn, "Submit").Layout))
		})
	})
	if len(p.Letters) > 0 {
		rows = append(rows, material.Body1(u.th, fmt.Sprintf("Dead letters · %d", len(p.Letters))).Layout)
	}
	for _, l := range p.Letters {
		retry, drop := clickable(u.retryBtns, l.ID), clickable(u.dropBtns, l.ID)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if retry.Clicked(gtx) {
				act.DeadLetter = &LetterAction{ID: l.ID, Retry: true}
			}
			if drop.Clicked(gtx) {
				act.DeadLetter = &LetterAction{ID: l.ID}
			}
			text := l.Title
			if l.Error != "" {
				text += ": " + l.Error
			}
			c := material.Caption(u.th, text)
			c.Color = taskColor("dead")
			c.MaxLines = 2
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(c.Layout),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{}.Layout(gtx,
						layout.Rigid(material.Button(u.th, retry, "Retry").Layout),
						layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
						layout.Rigid(material.Button(u.th, drop, "Discard").Layout))
				}))
		})
	}
	return rows
}

// entered returns an editor's text, trimmed, when the user pressed Return
// in it or clicked its button this frame and it holds something.
func (u *UI) entered(gtx layout.Context, ed *widget.Editor, btn *widget.Clickable) (string, bool) {
	send := false
	for {
		ev, ok := ed.Update(gtx)
		if !ok {
			break
		}
		if _, ok := ev.(widget.SubmitEvent); ok {
			send = true
		}
	}
	if btn.Clicked(gtx) {
		send = true
	}
	text := strings.TrimSpace(ed.Text())
	return text, send && text != ""
}

// memoryRows are the swarm panel's memory search: a box, and what the
// search found (a click selects the memory's agent).
func (u *UI) memoryRows(p *SwarmPanel, act *Actions) []layout.Widget {
	rows := []layout.Widget{material.Body1(u.th, "Memory").Layout}
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		if text, ok := u.entered(gtx, &u.memSearch, &u.memBtn); ok {
			act.MemorySearch = text
			u.blur = true
		}
		if u.memClear.Clicked(gtx) {
			act.ClearMemorySearch = true
			u.memSearch.SetText("")
		}
		kids := []layout.FlexChild{
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return widget.Border{Color: u.th.ContrastBg, Width: unit.Dp(1)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.UniformInset(unit.Dp(4)).Layout(gtx, material.Editor(u.th, &u.memSearch, "Search memories…").Layout)
				})
			}),
			layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
			layout.Rigid(material.Button(u.th, &u.memBtn, "Find").Layout),
		}
		if p.MemoryQuery != "" {
			kids = append(kids, layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout), layout.Rigid(material.Button(u.th, &u.memClear, "Clear").Layout))
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, kids...)
	})
	if p.MemoryQuery != "" && len(p.MemoryHits) == 0 {
		rows = append(rows, material.Caption(u.th, "no memory matches "+p.MemoryQuery).Layout)
	}
	for i, h := range p.MemoryHits {
		btn := clickable(u.hitBtns, fmt.Sprint(i))
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			if btn.Clicked(gtx) && h.Wire != 0 {
				act.SelectWire = h.Wire
			}
			return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
				l := material.Caption(u.th, fmt.Sprintf("%.2f %s · %s: %s", h.Score, h.Agent, h.Type, h.Text))
				l.Color = color.NRGBA{R: 0xff, G: 0xd5, B: 0x4a, A: 0xff}
				l.MaxLines = 2
				return layout.UniformInset(unit.Dp(1)).Layout(gtx, l.Layout)
			})
		})
	}
	return rows
}

// agentRows are the inspector's rows for an agent: state, task, progress,
// numbers, a sparkline, collaborators and work, and the operator's
// controls.
func (u *UI) agentRows(a *AgentInfo, act *Actions) []layout.Widget {
	var rows []layout.Widget
	st := a.State
	if a.Stale {
		st = "stale (silent)"
	}
	head := material.Body1(u.th, "● "+st)
	head.Color = u.stateColor(strings.Fields(st)[0])
	rows = append(rows, head.Layout)
	var facts []string
	if a.Type != "" {
		facts = append(facts, a.Type)
	}
	if a.Control != "" && a.Control != "running" {
		facts = append(facts, a.Control)
	}
	if !a.LastSeen.IsZero() {
		facts = append(facts, "seen "+a.LastSeen.Local().Format("15:04:05"))
	}
	if len(facts) > 0 {
		rows = append(rows, material.Caption(u.th, strings.Join(facts, " · ")).Layout)
	}
	if len(a.Capabilities) > 0 {
		rows = append(rows, material.Caption(u.th, "can: "+strings.Join(a.Capabilities, ", ")).Layout)
	}
	if a.Task != "" {
		rows = append(rows, material.Body2(u.th, "task: "+a.Task).Layout)
	}
	if a.Progress != nil {
		p := float32(*a.Progress / 100)
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(material.Caption(u.th, fmt.Sprintf("progress %.0f%%", *a.Progress)).Layout),
				layout.Rigid(material.ProgressBar(u.th, p).Layout))
		})
	}
	var nums []string
	if a.Health != nil {
		nums = append(nums, fmt.Sprintf("health %.0f", *a.Health))
	}
	if a.Tokens != nil {
		nums = append(nums, fmt.Sprintf("%d tokens", *a.Tokens))
	}
	if a.TokenRate != nil {
		nums = append(nums, fmt.Sprintf("%.0f tokens/s", *a.TokenRate))
	}
	if len(nums) > 0 {
		rows = append(rows, material.Caption(u.th, strings.Join(nums, " · ")).Layout)
	}
	if len(a.Spark) > 1 {
		spark := a.Spark
		rows = append(rows, func(gtx layout.Context) layout.Dimensions {
			return sparkline(gtx, spark, gtx.Dp(240), gtx.Dp(28), u.th.ContrastBg)
		})
	}
	for _, group := range []struct {
		title string
		list  []Neighbour
	}{{"Collaborating with", a.Collaborators}, {"Working on", a.WorkingOn}} {
		if len(group.list) == 0 {
			continue
		}
		rows = append(rows, material.Body2(u.th, group.title).Layout)
		for _, nb := range group.list {
			btn := clickable(u.neighBtns, fmt.Sprintf("%d", nb.Wire))
			rows = append(rows, func(gtx layout.Context) layout.Dimensions {
				if btn.Clicked(gtx) {
					act.SelectWire = nb.Wire
				}
				return material.Clickable(gtx, btn, func(gtx layout.Context) layout.Dimensions {
					l := material.Body2(u.th, "→ "+nb.Label)
					l.Color = u.th.ContrastBg
					return layout.UniformInset(unit.Dp(2)).Layout(gtx, l.Layout)
				})
			})
		}
	}
	// The operator's controls: commands queued for the agent, which it
	// acknowledges; every peer sees them.
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		for _, b := range []struct {
			btn  *widget.Clickable
			kind string
		}{{&u.pauseBtn, "pause"}, {&u.resumeBtn, "resume"}, {&u.haltBtn, "halt"}} {
			if b.btn.Clicked(gtx) {
				act.Command = &CommandAction{Kind: b.kind}
			}
		}
		return layout.Flex{}.Layout(gtx,
			layout.Rigid(material.Button(u.th, &u.pauseBtn, "Pause").Layout),
			layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
			layout.Rigid(material.Button(u.th, &u.resumeBtn, "Resume").Layout),
			layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
			layout.Rigid(material.Button(u.th, &u.haltBtn, "Halt").Layout))
	})
	rows = append(rows, func(gtx layout.Context) layout.Dimensions {
		if text, ok := u.entered(gtx, &u.redirect, &u.redirBtn); ok {
			act.Command = &CommandAction{Kind: "redirect", Text: text}
			u.redirect.SetText("")
			u.blur = true
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return widget.Border{Color: u.th.ContrastBg, Width: unit.Dp(1)}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.UniformInset(unit.Dp(4)).Layout(gtx, material.Editor(u.th, &u.redirect, "New task…").Layout)
				})
			}),
			layout.Rigid(layout.Spacer{Width: unit.Dp(4)}.Layout),
			layout.Rigid(material.Button(u.th, &u.redirBtn, "Redirect").Layout))
	})
	for _, c := range a.Commands {
		rows = append(rows, material.Caption(u.th, c).Layout)
	}
	if len(a.Memories) > 0 {
		rows = append(rows, material.Body2(u.th, "Remembers").Layout)
	}
	for _, m := range a.Memories {
		l := material.Caption(u.th, m.Type+": "+m.Text)
		l.MaxLines = 2
		rows = append(rows, l.Layout)
	}
	return rows
}

// sparkline draws values as a line, scaled to their range.
func sparkline(gtx layout.Context, vals []float32, w, h int, c color.NRGBA) layout.Dimensions {
	size := image.Pt(w, h)
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 1e-6 {
		hi = lo + 1
	}
	var p clip.Path
	p.Begin(gtx.Ops)
	for i, v := range vals {
		pt := f32.Pt(float32(i)*float32(w-1)/float32(len(vals)-1), float32(h-1)-(v-lo)/(hi-lo)*float32(h-2))
		if i == 0 {
			p.MoveTo(pt)
		} else {
			p.LineTo(pt)
		}
	}
	paint.FillShape(gtx.Ops, c, clip.Stroke{Path: p.End(), Width: float32(gtx.Dp(1.5))}.Op())
	return layout.Dimensions{Size: size}
}
