-- check.py (navapbc/template-infra 8b7bc38), the statements run as
-- MIGRATOR_USER before the app's: check_search_path (whose result must be
-- [["app"]]), check_migrator_create_table.

SHOW search_path;

DROP TABLE IF EXISTS role_manager_test;

CREATE TABLE IF NOT EXISTS role_manager_test(created_at TIMESTAMP);
