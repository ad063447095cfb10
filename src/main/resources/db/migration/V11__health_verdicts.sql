-- Each service's health verdict, kept as its checks are recorded: reading every check of the last week for
-- each probe and each reconcile grew with the number of checks (docs/simulate.md). A row is the newest
-- check, whether two equal checks in a row have decided the verdict yet, and the verdict. Rows for services
-- checked before this table existed are filled in by OpsStore when it opens.
CREATE TABLE health_verdicts (
    service  VARCHAR(100) PRIMARY KEY,
    last_ok  BOOLEAN      NOT NULL,
    paired   BOOLEAN      NOT NULL,
    verdict  VARCHAR(16)  NOT NULL,
    at       TIMESTAMP WITH TIME ZONE NOT NULL
);
