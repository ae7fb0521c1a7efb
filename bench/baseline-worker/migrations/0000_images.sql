CREATE TABLE images (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL, storage_key TEXT NOT NULL, tags TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX images_owner ON images (owner_id, created_at);
