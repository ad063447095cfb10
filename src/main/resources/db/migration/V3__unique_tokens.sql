-- One token, one session: a token shared by two sessions could act for either.
DROP INDEX sessions_token;
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
