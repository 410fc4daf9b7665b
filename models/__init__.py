"""The data model (ARCHITECTURE §3). Importing this package registers every model with the app."""

from models.accounts import Account, AccountGroup, ManagerAccess
from models.activity import FollowUpAction, Note
from models.audit import AuditEvent
from models.billing import CreditNote, Invoice, Payment
from models.config import CustomField, FormFieldRule, Setting
from models.people import User

__all__ = [
    "Account",
    "AccountGroup",
    "AuditEvent",
    "CreditNote",
    "CustomField",
    "FollowUpAction",
    "FormFieldRule",
    "Invoice",
    "ManagerAccess",
    "Note",
    "Payment",
    "Setting",
    "User",
]
