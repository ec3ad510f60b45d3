-- Swarms are graphs of type visionflow; each works on one knowledge graph.
CREATE TABLE swarms (
    id              TEXT PRIMARY KEY,
    knowledge_graph TEXT NOT NULL,
    created_ms      INTEGER NOT NULL
) STRICT;

-- What is kept of agents' status: the first report, state transitions,
-- snapshots sampled every few seconds, going away. Heartbeats in between
-- are not kept; rows older than agents.historyRetention are pruned.
CREATE TABLE agent_history (
    id    INTEGER PRIMARY KEY,
    swarm TEXT NOT NULL,
    agent TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    kind  TEXT NOT NULL, -- first, transition, sample, gone
    state TEXT NOT NULL,
    body  TEXT NOT NULL  -- the agent as JSON
) STRICT;

CREATE INDEX agent_history_by_agent ON agent_history (swarm, agent, at_ms);
CREATE INDEX agent_history_by_time ON agent_history (at_ms);

-- Operator commands to agents and their answers: the audit trail.
CREATE TABLE agent_commands (
    id        TEXT PRIMARY KEY,
    swarm     TEXT NOT NULL,
    agent     TEXT NOT NULL,
    state     TEXT NOT NULL,   -- queued, delivered, acked, refused
    queued_ms INTEGER NOT NULL,
    body      TEXT NOT NULL    -- the command as JSON
) STRICT;

CREATE INDEX agent_commands_by_agent ON agent_commands (swarm, agent, queued_ms);

-- Telemetry reports from servers, windows and agent runners.
CREATE TABLE telemetry (
    id      INTEGER PRIMARY KEY,
    session TEXT NOT NULL,
    at_ms   INTEGER NOT NULL,
    body    TEXT NOT NULL -- the report as JSON
) STRICT;

CREATE INDEX telemetry_by_time ON telemetry (at_ms);
CREATE INDEX telemetry_by_session ON telemetry (session, at_ms);
