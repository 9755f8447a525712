-- The workspace's sessions (filiere.web.sessions): one SQLite file shared by the workers.
-- Each statement follows a "-- name: <name>" line; parameters are :named.

-- name: shared_file
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;

-- name: begin_write
BEGIN IMMEDIATE;

-- name: schema
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash BLOB PRIMARY KEY,  -- SHA-256 of the session id (the cookie), never the id
    role TEXT NOT NULL,
    key_id TEXT,               -- NULL: the local user of `filiere ui`
    name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_seen ON web_sessions (seen);
CREATE INDEX IF NOT EXISTS web_sessions_created ON web_sessions (created);
CREATE INDEX IF NOT EXISTS web_sessions_key ON web_sessions (key_id);
CREATE TABLE IF NOT EXISTS web_grants (
    token_hash BLOB PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    expires REAL NOT NULL
);

-- name: drop_expired
DELETE FROM web_sessions WHERE seen < :idle_since OR created < :opened_since;

-- name: insert
INSERT INTO web_sessions (id_hash, role, key_id, name, csrf, created, seen)
VALUES (:id_hash, :role, :key_id, :name, :csrf, :now, :now);

-- name: count
SELECT count(*) FROM web_sessions;

-- name: drop_least_recent
DELETE FROM web_sessions WHERE id_hash IN
    (SELECT id_hash FROM web_sessions ORDER BY seen, rowid LIMIT :n);

-- name: touch
UPDATE web_sessions SET seen = :now
WHERE id_hash = :id_hash AND seen >= :idle_since AND created >= :opened_since
RETURNING role, key_id, name, csrf, created;

-- name: drop
DELETE FROM web_sessions WHERE id_hash = :id_hash;

-- name: drop_key
DELETE FROM web_sessions WHERE key_id = :key_id;

-- name: drop_expired_grants
DELETE FROM web_grants WHERE expires < :now;

-- name: insert_grant
INSERT INTO web_grants (token_hash, role, name, expires)
VALUES (:token_hash, :role, :name, :expires);

-- name: keep_newest_grants
DELETE FROM web_grants WHERE rowid NOT IN
    (SELECT rowid FROM web_grants ORDER BY rowid DESC LIMIT :n);

-- name: spend_grant
DELETE FROM web_grants WHERE token_hash = :token_hash RETURNING role, name, expires;
