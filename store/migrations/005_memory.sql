-- What agents remember: contents (zstd-compressed above a size), the
-- vector that finds them, and which embedder made it; vectors of different
-- embedders are never compared.
CREATE TABLE memories (
    id          TEXT PRIMARY KEY,
    swarm       TEXT NOT NULL,
    agent       TEXT NOT NULL,
    type        TEXT NOT NULL,
    importance  REAL NOT NULL,
    given       INTEGER NOT NULL, -- importance given by the agent (else computed)
    links       TEXT NOT NULL,    -- knowledge node ids, as a JSON array
    content     BLOB NOT NULL,
    compressed  INTEGER NOT NULL,
    size        INTEGER NOT NULL, -- bytes of the content, whole
    embedder    TEXT NOT NULL,
    vector      BLOB NOT NULL,    -- little-endian float32s of unit length
    fallback    TEXT NOT NULL,    -- why the embedder is not the one configured ('' when it is)
    created_ms  INTEGER NOT NULL
) STRICT;

CREATE INDEX memories_by_agent ON memories (agent, created_ms);
CREATE INDEX memories_by_embedder ON memories (embedder);
