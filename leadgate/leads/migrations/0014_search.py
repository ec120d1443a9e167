"""The search indexes of leads.search: trigram GIN indexes on PostgreSQL,
FTS5 trigram tables kept by triggers on SQLite."""

from django.db import migrations

# As leads.search searches them (frozen here: a migration never changes).
LEAD_COLUMNS = ("first_name", "last_name", "email", "phone", "company_name", "domain")
ACCOUNT_COLUMNS = ("name", "domain", "website")
TABLES = (("lead_search", "leads_lead", LEAD_COLUMNS),
          ("account_search", "leads_account", ACCOUNT_COLUMNS))


def _text(columns, prefix=""):
    return "lower(" + " || ' ' || ".join(f"{prefix}{c}" for c in columns) + ")"


def sqlite_statements(fts, table, columns):
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        # Only when a searched column changes: a stage move does not touch the index.
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for fts, table, columns in TABLES:
        if vendor == "postgresql":
            statements = [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX {fts}_trgm ON {table} USING gin ({_text(columns)} gin_trgm_ops)",
            ]
        elif vendor == "sqlite":
            statements = sqlite_statements(fts, table, columns)
        else:
            statements = []
        for statement in statements:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for fts, _table, _columns in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {fts}_trgm")
        elif vendor == "sqlite":
            for suffix in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0013_task_notes")]

    operations = [migrations.RunPython(forward, backward)]
