"""The data model (ARCHITECTURE §3). Importing this package registers every model with the app."""

from models import search_indexes  # noqa: F401  (declares the search indexes on the tables)
from models.accounts import Account, AccountGroup, ManagerAccess
from models.activity import FollowUpAction, Note
from models.audit import AuditEvent, LoginEvent
from models.billing import CreditNote, Invoice, Payment
from models.config import ConfigStamp, CustomField, FormFieldRule, Setting
from models.dashboards import DashboardLayout
from models.jobs import Job
from models.list_views import ListView
from models.notifications import (
    CreditRequest,
    EmailTemplate,
    InvoiceEmailOptOut,
    OutboxAttachment,
    OutboxMessage,
)
from models.people import User
from models.training import Award, Booking, Course, CourseDate

__all__ = [
    "Account",
    "AccountGroup",
    "AuditEvent",
    "Award",
    "Booking",
    "ConfigStamp",
    "Course",
    "CourseDate",
    "CreditNote",
    "CreditRequest",
    "CustomField",
    "DashboardLayout",
    "EmailTemplate",
    "FollowUpAction",
    "FormFieldRule",
    "Invoice",
    "InvoiceEmailOptOut",
    "Job",
    "ListView",
    "LoginEvent",
    "ManagerAccess",
    "Note",
    "OutboxAttachment",
    "OutboxMessage",
    "Payment",
    "Setting",
    "User",
]
