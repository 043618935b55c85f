"""Demo accounts, one per persona (registered as demo data in apps.py; `manage.py demo_data`)."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress

from kosodate.core.registry import DemoContext

from .models import User

# Published in the README: these accounts exist only in a demo database.
DEMO_PASSWORD = "Kosodate-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    label: str
    username: str
    email: str
    last_name: str
    first_name: str
    role: str
    is_superuser: bool = False


DEMO_ACCOUNTS = (
    DemoAccount(
        "Resident (guardian)", "hanako", "hanako@example.jp", "山田", "花子", User.Role.RESIDENT
    ),
    DemoAccount("Another resident", "taro", "taro@example.jp", "佐藤", "太郎", User.Role.RESIDENT),
    DemoAccount(
        "Facility staff", "hoiku", "hoiku@example.jp", "鈴木", "美咲", User.Role.FACILITY_STAFF
    ),
    DemoAccount(
        "Municipal staff",
        "shokuin",
        "shokuin@example.jp",
        "高橋",
        "健一",
        User.Role.MUNICIPAL_STAFF,
    ),
    DemoAccount(
        "System administrator",
        "admin",
        "admin@example.jp",
        "管理",
        "太郎",
        User.Role.MUNICIPAL_STAFF,
        is_superuser=True,
    ),
)


def accounts_demo_load(context: DemoContext) -> None:
    """Create the demo accounts that are missing and put every one into `context.users`."""
    context.password = DEMO_PASSWORD
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User(
                username=account.username,
                email=account.email,
                last_name=account.last_name,
                first_name=account.first_name,
                role=account.role,
                is_staff=account.is_superuser,
                is_superuser=account.is_superuser,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        # allauth signs in only with a verified address (ACCOUNT_EMAIL_VERIFICATION = mandatory).
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        context.users[account.username] = user
        context.accounts.append((account.label, account.email))
