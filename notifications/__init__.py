"""Workflows and notifications: invoice e-mails, credit account requests, credit-limit alerts and
follow-up actions for collections.

A package of its own because it fits none of the others: it is neither a model, nor a view, nor a
report, and it runs outside any request (the `flask --app app notify` command, from cron). Views
call into it (a credit decision, marking an action done); it never imports `admin_views`.

How an e-mail travels: an event is detected (`detection`) or decided (`credit_requests`), its
message is rendered from an editable template (`email_templates`) and written to the outbox table
in the same transaction (`outbox`); `sending` later claims due messages and hands them to SMTP,
retrying with back-off. `runner.run_notify` is the one entry point the command calls.
"""
