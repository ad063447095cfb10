-- One Slack user, one session: two sessions with the same slack_user could act as each other in Slack.
-- Duplicates left by earlier versions keep the Slack user on the first session (by id) only.
UPDATE sessions SET slack_user = NULL
 WHERE slack_user IS NOT NULL
   AND id <> (SELECT MIN(o.id) FROM sessions o WHERE o.slack_user = sessions.slack_user);
CREATE UNIQUE INDEX sessions_slack_user ON sessions (slack_user);
