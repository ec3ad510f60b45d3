-- Tasks and their subtasks (parent '' for a task of its own), every move
-- stored before it is acknowledged.
CREATE TABLE tasks (
    id         TEXT PRIMARY KEY,
    swarm      TEXT NOT NULL,
    parent     TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    body       TEXT NOT NULL -- the task as JSON
) STRICT;

CREATE INDEX tasks_by_swarm ON tasks (swarm, state, created_ms);

-- Work that failed after its retries (a task, an embedding, …), kept with
-- every attempt's error until an operator retries or discards it.
CREATE TABLE dead_letters (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL, -- task, embedding, …
    ref        TEXT NOT NULL, -- what failed: a task id, a memory id, …
    swarm      TEXT NOT NULL,
    state      TEXT NOT NULL, -- open, retried, discarded
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    body       TEXT NOT NULL -- the dead letter as JSON
) STRICT;

CREATE INDEX dead_letters_by_state ON dead_letters (state, created_ms);
CREATE INDEX dead_letters_by_ref ON dead_letters (kind, ref);
