"""Bulk import and export of accounts, users, invoices, payments and credit notes (CSV and XLSX).

A top-level package because the concern fits none of the others: it writes records, so it is not
`reports/` (reports only read); the command line uses it as much as the panel, and no module may
import `admin_views` but `app.py`, so it cannot live there. The panel's import page and list
export, and the `flask import` / `flask export` commands, are thin callers of this package.

One job per module:
- `kinds`: the columns of each kind (one definition shared by import and export) and who may
  import which kind;
- `cells`: turning cell text into values, a cell or a whole column at once, with the reason when
  a cell cannot be read;
- `reading`: opening a CSV (UTF-8, with or without BOM) or XLSX file and checking its header;
- `batch`: one batch of rows as validation works on it (columns of cell text, errors per row);
- `references`: finding the accounts, users, groups and invoices a file names, within the
  importing user's rows;
- `validation`: checking rows batch by batch, column by column, into planned creates and
  updates, or row errors;
- `row_checks`: the checks that need a whole row (what the role may set, Configure Forms, the
  model's rules between fields) and each good row's fate;
- `importing`: the all-or-nothing run (one transaction, written in batches) and its audit event;
- `inserting`: the fast write path (SQLAlchemy's processing kept; SQLite: the driver's
  executemany, a big import's plain indexes built once at the end; PostgreSQL: COPY);
- `writing`: streaming CSV and XLSX writers, formula-safe;
- `exporting`: the rows of a kind, scoped to the user, streamed from the database;
- `command_line`: the `flask import` and `flask export` commands.

Custom fields are columns named by their key; per-role field rules come from `forms_config`
through one function, `validation.role_field_rules`.

Callers import the module they use (`bulk_io.importing`, ...): this file imports nothing, so a
command that needs only the kinds' names (`flask report` registers `flask import` beside it)
does not load the importer.
"""
