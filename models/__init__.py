"""The data model (ARCHITECTURE §3). Importing this package registers every model with the app."""

from models.accounts import Account, AccountGroup, ManagerAccess
from models.activity import FollowUpAction, Note
from models.audit import AuditEvent, LoginEvent
from models.billing import CreditNote, Invoice, Payment
from models.config import ConfigStamp, CustomField, FormFieldRule, Setting
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
    "CustomField",
    "FollowUpAction",
    "FormFieldRule",
    "Invoice",
    "LoginEvent",
    "ManagerAccess",
    "Note",
    "Payment",
    "Setting",
    "User",
]
