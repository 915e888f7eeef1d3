-- Temporal's two databases, beside Ballast's own (POSTGRES_DB=ballast). The postgres image runs this
-- folder once, when its data directory is new; temporal-admin-tools then sets up their schema
-- (ops/temporal/setup-schema.sh).
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
