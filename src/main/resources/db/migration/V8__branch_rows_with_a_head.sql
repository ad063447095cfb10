-- A branch_state row now means the branch existed (its head may be NULL once it is deleted, and /health
-- then says "gone"). Earlier versions also wrote a row with no head for a branch never pushed: removed.
DELETE FROM branch_state WHERE head IS NULL;
