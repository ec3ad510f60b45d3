package agent

import (
	"maps"
	"math"
	"slices"
	"time"
)

// Agent is the live view of one agent: its latest status and what the
// session knows beside it. Values handed out are copies.
type Agent struct {
	ID                string    `json:"id"`
	Swarm             string    `json:"swarm"`
	Name              string    `json:"name"`
	Type              string    `json:"type,omitempty"`
	Capabilities      []string  `json:"capabilities"`
	State             State     `json:"state"`
	CurrentTask       string    `json:"currentTask,omitempty"`
	Progress          *float64  `json:"progress,omitempty"`
	Health            *float64  `json:"health,omitempty"`
	Tokens            *int64    `json:"tokens,omitempty"`
	TokenRate         *float64  `json:"tokenRate,omitempty"`
	CollaboratingWith []string  `json:"collaboratingWith"`
	WorkingOn         []string  `json:"workingOn"`
	FirstSeen         time.Time `json:"firstSeen"`
	LastSeen          time.Time `json:"lastSeen"`   // when the server last heard from it
	ReportedAt        time.Time `json:"reportedAt"` // the last report's own timestamp
	// Stale is set when the agent has been silent longer than the
	// heartbeat timeout: the window greys it out.
	Stale bool `json:"stale"`
	// Control is what the operator last asked of it and it acknowledged:
	// "running", "paused" or "halted".
	Control string `json:"control"`

	version uint64 // of the swarm, when this agent last changed
}

func (a *Agent) clone() Agent {
	c := *a
	// Lists are never null in JSON.
	c.Capabilities = append([]string{}, a.Capabilities...)
	c.CollaboratingWith = append([]string{}, a.CollaboratingWith...)
	c.WorkingOn = append([]string{}, a.WorkingOn...)
	return c
}

// LinkKey names the interaction link between two agents, in either
// direction: A < B.
type LinkKey struct{ A, B string }

// Key returns the link between a and b.
func Key(a, b string) LinkKey {
	if b < a {
		a, b = b, a
	}
	return LinkKey{a, b}
}

// Kinds of interaction, and how much each adds to a link's weight.
const (
	Collaboration = "collaboration" // a status lists the other as a collaborator
	Messaging     = "message"       // one sent the other a message
	Handoff       = "handoff"       // one handed the other a task
)

var interactionWeight = map[string]float64{Collaboration: 0.25, Messaging: 1, Handoff: 1}

// Link weights: a link appears with its first interaction, grows with
// each one up to MaxLinkWeight, halves every half-life of silence and goes
// away below MinLinkWeight.
const (
	MaxLinkWeight = 10
	MinLinkWeight = 0.05
)

// Link is the interaction between two agents.
type Link struct {
	Key    LinkKey
	Weight float64   // as of Last
	Last   time.Time // of the last interaction
	Count  int       // interactions so far
	Kind   string    // of the last interaction
}

// LinkView is a link as clients see it: its weight as of the last time
// the swarm published links.
type LinkView struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	Weight float64 `json:"weight"`
	Kind   string  `json:"kind"` // of the last interaction
	Count  int     `json:"count"`
}

// View returns the link as clients see it at time now.
func (l *Link) View(now time.Time, halfLife time.Duration) LinkView {
	return LinkView{A: l.Key.A, B: l.Key.B, Weight: l.WeightAt(now, halfLife), Kind: l.Kind, Count: l.Count}
}

// WeightAt is the link's weight at time now, decayed since its last
// interaction.
func (l *Link) WeightAt(now time.Time, halfLife time.Duration) float64 {
	if halfLife <= 0 || !now.After(l.Last) {
		return l.Weight
	}
	return l.Weight * math.Exp2(-float64(now.Sub(l.Last))/float64(halfLife))
}

// Swarm is the live state of one swarm: every agent's latest status and
// the links between them. It is not safe for concurrent use.
type Swarm struct {
	ID string
	// KnowledgeGraph is the graph the swarm's agents work on.
	KnowledgeGraph string

	agents  map[string]*Agent
	links   map[LinkKey]*Link
	removed map[string]tomb // agents removed in the last minute
	version uint64

	published    map[LinkKey]float64 // link weights as last published
	linksVersion uint64              // version at which they were
}

// NewSwarm returns an empty swarm.
func NewSwarm(id, knowledgeGraph string) *Swarm {
	return &Swarm{ID: id, KnowledgeGraph: knowledgeGraph, agents: map[string]*Agent{}, links: map[LinkKey]*Link{}, removed: map[string]tomb{}}
}

// tomb remembers a removed agent for readers of Changed that have not
// seen it go; a reader more than a minute behind starts again from 0.
type tomb struct {
	version uint64
	at      time.Time
}

// tombLife is how long a removed agent is remembered.
const tombLife = time.Minute

// Version grows with every change to an agent.
func (s *Swarm) Version() uint64 { return s.version }

// Len is the number of agents.
func (s *Swarm) Len() int { return len(s.agents) }

// Has reports whether the swarm has an agent with this id.
func (s *Swarm) Has(id string) bool { _, ok := s.agents[id]; return ok }

// Agent returns a copy of an agent.
func (s *Swarm) Agent(id string) (Agent, bool) {
	a, ok := s.agents[id]
	if !ok {
		return Agent{}, false
	}
	return a.clone(), true
}

// Agents returns copies of every agent, by id.
func (s *Swarm) Agents() []Agent {
	out := make([]Agent, 0, len(s.agents))
	for _, id := range slices.Sorted(maps.Keys(s.agents)) {
		out = append(out, s.agents[id].clone())
	}
	return out
}

// PublishLinks records the links' weights at time now for clients, when
// the set of links changed or a weight moved by more than a tenth since
// they were last published, and reports whether it did.
func (s *Swarm) PublishLinks(now time.Time, halfLife time.Duration) bool {
	changed := len(s.published) != len(s.links)
	for k, l := range s.links {
		w := l.WeightAt(now, halfLife)
		old, ok := s.published[k]
		if !ok || math.Abs(w-old) > 0.1*max(old, MinLinkWeight) {
			changed = true
			break
		}
	}
	if !changed {
		return false
	}
	s.version++
	s.linksVersion = s.version
	s.published = make(map[LinkKey]float64, len(s.links))
	for k, l := range s.links {
		s.published[k] = l.WeightAt(now, halfLife)
	}
	return true
}

// PublishedLinks returns the links as last published (nil when they have
// not changed after version since).
func (s *Swarm) PublishedLinks(since uint64) []LinkView {
	if s.linksVersion <= since {
		return nil
	}
	out := make([]LinkView, 0, len(s.published))
	for k, w := range s.published {
		v := LinkView{A: k.A, B: k.B, Weight: w}
		if l := s.links[k]; l != nil {
			v.Kind, v.Count = l.Kind, l.Count
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b LinkView) int {
		if c := cmpString(a.A, b.A); c != 0 {
			return c
		}
		return cmpString(a.B, b.B)
	})
	return out
}

// Changed returns copies of the agents that changed after version since,
// and the ids of those removed since then.
func (s *Swarm) Changed(since uint64) (changed []Agent, removed []string) {
	for _, a := range s.agents {
		if a.version > since {
			changed = append(changed, a.clone())
		}
	}
	for id, t := range s.removed {
		if t.version > since {
			removed = append(removed, id)
		}
	}
	slices.SortFunc(changed, func(a, b Agent) int { return cmpString(a.ID, b.ID) })
	slices.Sort(removed)
	return changed, removed
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Applied says what a status update changed.
type Applied struct {
	New        bool   // the agent's first status
	From       State  // its state before ("" when new)
	Transition bool   // its state changed (or it is new)
	Profile    bool   // name, type or capabilities changed (or it is new)
	Revived    bool   // it was stale and reported again
	Outdated   bool   // older than the agent's last report: only its profile was taken
	Links      []Link // links that appeared through this update's collaborators
}

// Apply records a validated status update received at time now.
// Collaborators must be agents of the swarm (the caller checks).
func (s *Swarm) Apply(u *Status, now time.Time, halfLife time.Duration) Applied {
	s.version++
	a, ok := s.agents[u.AgentID]
	res := Applied{New: !ok}
	if !ok {
		a = &Agent{ID: u.AgentID, Swarm: s.ID, FirstSeen: now, Control: "running"}
		s.agents[u.AgentID] = a
		delete(s.removed, u.AgentID)
		res.Transition, res.Profile = true, true
	} else {
		at := u.Timestamp
		if at.IsZero() {
			at = now
		}
		if at.Before(a.ReportedAt) {
			// Older than what the agent last said (it waited behind a
			// structural change while a heartbeat went by): only its
			// profile counts.
			s.profile(a, u, &res)
			a.version = s.version
			res.Outdated = true
			return res
		}
		res.From = a.State
		res.Transition = a.State != u.State
		res.Revived = a.Stale
	}
	s.profile(a, u, &res)
	a.State = u.State
	a.CurrentTask = u.CurrentTask
	a.Progress = u.Progress
	if u.Health != nil {
		a.Health = u.Health
	}
	if u.Tokens != nil {
		a.Tokens = u.Tokens
	}
	if u.TokenRate != nil {
		a.TokenRate = u.TokenRate
	}
	a.CollaboratingWith = slices.Clone(u.CollaboratingWith)
	a.WorkingOn = slices.Clone(u.WorkingOn)
	a.LastSeen = now
	a.ReportedAt = u.Timestamp
	if a.ReportedAt.IsZero() {
		a.ReportedAt = now
	}
	a.Stale = false
	a.version = s.version
	for _, c := range u.CollaboratingWith {
		if l, isNew := s.interact(u.AgentID, c, Collaboration, now, halfLife); isNew {
			res.Links = append(res.Links, *l)
		}
	}
	return res
}

// profile takes an update's name, type and capabilities.
func (s *Swarm) profile(a *Agent, u *Status, res *Applied) {
	name := u.Name
	if name == "" {
		name = a.Name
	}
	if name == "" {
		name = u.AgentID
	}
	if name != a.Name || (u.Type != "" && u.Type != a.Type) || (u.Capabilities != nil && !slices.Equal(u.Capabilities, a.Capabilities)) {
		res.Profile = true
	}
	a.Name = name
	if u.Type != "" {
		a.Type = u.Type
	}
	if u.Capabilities != nil {
		a.Capabilities = slices.Clone(u.Capabilities)
	}
}

// Interact records an interaction between two agents and returns their
// link, and whether it is new.
func (s *Swarm) Interact(from, to, kind string, now time.Time, halfLife time.Duration) (Link, bool) {
	l, isNew := s.interact(from, to, kind, now, halfLife)
	return *l, isNew
}

func (s *Swarm) interact(from, to, kind string, now time.Time, halfLife time.Duration) (*Link, bool) {
	k := Key(from, to)
	l, ok := s.links[k]
	if !ok {
		l = &Link{Key: k, Last: now}
		s.links[k] = l
	}
	l.Weight = min(MaxLinkWeight, l.WeightAt(now, halfLife)+interactionWeight[kind])
	l.Last = now
	l.Count++
	l.Kind = kind
	return l, !ok
}

// Link returns the link between two agents.
func (s *Swarm) Link(a, b string) (Link, bool) {
	l, ok := s.links[Key(a, b)]
	if !ok {
		return Link{}, false
	}
	return *l, true
}

// Links returns every link, ordered by key.
func (s *Swarm) Links() []Link {
	out := make([]Link, 0, len(s.links))
	for _, l := range s.links {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Link) int {
		if c := cmpString(a.Key.A, b.Key.A); c != 0 {
			return c
		}
		return cmpString(a.Key.B, b.Key.B)
	})
	return out
}

// SetControl records what the operator's command made of an agent.
func (s *Swarm) SetControl(id, control string) bool {
	a, ok := s.agents[id]
	if !ok || a.Control == control {
		return false
	}
	s.version++
	a.Control = control
	a.version = s.version
	return true
}

// Sweep is what the passage of time changed.
type Sweep struct {
	Stale   []string  // agents silent past the heartbeat timeout, newly
	Removed []string  // agents silent past the removal timeout, gone now
	Faded   []LinkKey // links whose weight decayed below MinLinkWeight, gone now
}

// Sweep ages the swarm to time now: agents silent for longer than stale
// grey out, those silent for longer than remove go, and links that have
// decayed away go (also every link of a removed agent).
func (s *Swarm) Sweep(now time.Time, stale, remove, halfLife time.Duration) Sweep {
	var sw Sweep
	for _, id := range slices.Sorted(maps.Keys(s.agents)) {
		a := s.agents[id]
		silent := now.Sub(a.LastSeen)
		switch {
		case silent > remove:
			s.version++
			delete(s.agents, id)
			s.removed[id] = tomb{s.version, now}
			sw.Removed = append(sw.Removed, id)
		case silent > stale && !a.Stale:
			s.version++
			a.Stale = true
			a.version = s.version
			sw.Stale = append(sw.Stale, id)
		}
	}
	for _, l := range s.Links() {
		_, okA := s.agents[l.Key.A]
		_, okB := s.agents[l.Key.B]
		if !okA || !okB || l.WeightAt(now, halfLife) < MinLinkWeight {
			delete(s.links, l.Key)
			sw.Faded = append(sw.Faded, l.Key)
		}
	}
	for id, t := range s.removed {
		if now.Sub(t.at) > tombLife {
			delete(s.removed, id)
		}
	}
	return sw
}

// Restore puts back an agent known from before a restart, as it was last
// stored: it counts from lastSeen and is stale until it reports again.
func (s *Swarm) Restore(a Agent) {
	s.version++
	c := a.clone()
	c.Swarm = s.ID
	c.Stale = true
	if c.Control == "" {
		c.Control = "running"
	}
	c.version = s.version
	s.agents[a.ID] = &c
	delete(s.removed, a.ID)
}

// RestoreLink puts back a link known from before a restart, with weight w
// as of time at.
func (s *Swarm) RestoreLink(k LinkKey, w float64, at time.Time) {
	if _, ok := s.links[k]; !ok {
		s.links[k] = &Link{Key: k, Weight: w, Last: at, Kind: Collaboration}
	}
}

// Remove takes an agent out of the swarm (its node went away), with its
// links, and reports whether it was there.
func (s *Swarm) Remove(id string, now time.Time) bool {
	if _, ok := s.agents[id]; !ok {
		return false
	}
	s.version++
	delete(s.agents, id)
	s.removed[id] = tomb{s.version, now}
	for k := range s.links {
		if k.A == id || k.B == id {
			delete(s.links, k)
		}
	}
	return true
}

// Touch bumps an agent's version, so that readers of Changed send it again.
func (s *Swarm) Touch(id string) {
	if a, ok := s.agents[id]; ok {
		s.version++
		a.version = s.version
	}
}
