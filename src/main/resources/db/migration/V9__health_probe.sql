-- /health writes here: a database (or a disk) that reads but cannot write is not healthy.
CREATE TABLE health_probe (
    id INT PRIMARY KEY,
    at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO health_probe (id, at) VALUES (1, CURRENT_TIMESTAMP);
