-- Tokens of a shared session. Only a SHA-256 of each token is kept; the id
-- is its public part (token list shows it, revoke takes it).
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL, -- 0: never
    revoked_ms  INTEGER NOT NULL, -- 0: not revoked
    last_used_ms INTEGER NOT NULL
) STRICT;
