"""Demo data for a newcomer's first run (`make run`): the fictional こもれび市 (Komorebi City) and
something of every foundation feature to look at — announcements of each
importance (one not shown yet, one ended), a maintenance window announced on the top page a week
ahead, an email in the dev outbox, and the audit-log entries that staff actions leave.

Idempotent: rows are found by natural keys and created once, through the services where a staff
member would create them. A later run only moves the demo's dates when they have drifted out of
what they show (the "upcoming" maintenance must never become a real one).

`demo_data_load` runs every loader registered in kosodate.core.registry (DemoData): core's here,
the accounts' personas, and each service's, in their `order`; it imports no app."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone

from . import registry, services
from .models import Announcement, MaintenanceWindow, Municipality, OutboundMessage
from .selectors import MAINTENANCE_CACHE_KEY, MUNICIPALITY_CACHE_KEY

MUNICIPALITY = {
    "name": "こもれび市",
    "name_en": "Komorebi City",
    "code": "131016",
    "counter_name": "こども家庭課 子育て支援係",
    "counter_name_en": "Children and Families Division, Childcare Support Section",
    "counter_address": "こもれび市役所 2階 5番窓口",
    "counter_address_en": "Komorebi City Hall, 2nd floor, counter 5",
    "counter_phone": "03-0000-1234",
    "counter_email": "kosodate@city.komorebi.example.jp",
    "counter_hours": "平日 8:30〜17:15(土日祝・年末年始を除く)",
    "counter_hours_en": "Weekdays 8:30–17:15 (closed weekends, holidays, 29 Dec–3 Jan)",
}


@dataclass(frozen=True)
class DemoAnnouncement:
    title: str
    title_en: str
    body: str
    body_en: str
    importance: str
    # Days from today (local midnight) when it starts and ends; None: no end.
    starts_in_days: int
    ends_in_days: int | None


DEMO_ANNOUNCEMENTS = (
    DemoAnnouncement(
        "子育てサポートシステムを公開しました",
        "The childcare support system is now open",
        "一時預かりの予約や講座の申し込みが、スマートフォンから24時間できるようになりました。"
        "ご不明な点は、こども家庭課 子育て支援係(市役所2階 5番窓口)へお問い合わせください。",
        "You can now book temporary childcare and apply for classes from your phone, at any "
        "time of day. For questions, ask the Childcare Support Section (City Hall, 2nd floor, "
        "counter 5).",
        Announcement.Importance.IMPORTANT,
        -3,
        None,
    ),
    DemoAnnouncement(
        "こもれび子育て支援センターの夏休み特別開館",
        "Summer opening hours at the Komorebi family support centre",
        "夏休み期間中は、土曜日も 9:00〜16:00 に開館します。予約は不要です。",
        "During the summer holidays the centre also opens on Saturdays, 9:00–16:00. No booking "
        "needed.",
        Announcement.Importance.NORMAL,
        -1,
        30,
    ),
    DemoAnnouncement(
        "台風接近のため、あすの親子教室は中止します",
        "Tomorrow's parent-and-child class is cancelled (typhoon)",
        "台風の接近に伴い、あすの親子教室は中止します。申し込み済みの方には、メールでお知らせしています。",
        "Because of the approaching typhoon, tomorrow's parent-and-child class is cancelled. "
        "Everyone who applied has been told by email.",
        Announcement.Importance.URGENT,
        0,
        2,
    ),
    DemoAnnouncement(
        "秋の子育て講座 申し込み受付開始のお知らせ",
        "Applications for the autumn parenting classes open soon",
        "秋の子育て講座の申し込み受付を開始します。定員を超えた講座は抽選になります。",
        "Applications for the autumn parenting classes open. Classes with more applicants than "
        "places are decided by lottery.",
        Announcement.Importance.NORMAL,
        5,
        35,
    ),
    DemoAnnouncement(
        "年末年始の窓口休業について",
        "The counter is closed over the New Year holidays",
        "12月29日から1月3日まで、子育て支援係の窓口は休業します。",
        "The Childcare Support Section's counter is closed from 29 December to 3 January.",
        Announcement.Importance.NORMAL,
        -40,
        -10,
    ),
)

MAINTENANCE_MESSAGE = (
    "システムの定期メンテナンスを行います。この間、ログインと予約・申し込みはできません。"
)
MAINTENANCE_MESSAGE_EN = (
    "Scheduled maintenance: signing in, booking and applying are unavailable during this time."
)
MAINTENANCE_DAYS_AHEAD = 7
WELCOME_KIND = "demo.welcome"


def _local_midnight(now: datetime, days: int) -> datetime:
    day = timezone.localtime(now).date() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time.min))


def _announcement_period(item: DemoAnnouncement, now: datetime):
    starts_at = _local_midnight(now, item.starts_in_days)
    if item.starts_in_days == 0:
        starts_at = now - timedelta(hours=1)  # "today" must already have started
    ends_at = None if item.ends_in_days is None else _local_midnight(now, item.ends_in_days)
    return starts_at, ends_at


def _announcement_shows_as_meant(announcement: Announcement, item: DemoAnnouncement, now) -> bool:
    started = announcement.starts_at <= now
    ended = announcement.ends_at is not None and announcement.ends_at <= now
    if item.starts_in_days > 0:
        return not started
    if item.ends_in_days is not None and item.ends_in_days <= 0:
        return ended
    return started and not ended


def _announcements_load(*, admin, now: datetime) -> None:
    for item in DEMO_ANNOUNCEMENTS:
        starts_at, ends_at = _announcement_period(item, now)
        announcement = Announcement.objects.filter(title=item.title).first()
        if announcement is None:
            services.announcement_create(
                actor=admin,
                title=item.title,
                title_en=item.title_en,
                body=item.body,
                body_en=item.body_en,
                importance=item.importance,
                starts_at=starts_at,
                ends_at=ends_at,
            )
        elif not _announcement_shows_as_meant(announcement, item, now):
            # The demo database has aged: move the dates back to what the demo shows, quietly
            # (not a staff action, so no audit entry).
            Announcement.objects.filter(pk=announcement.pk).update(
                starts_at=starts_at, ends_at=ends_at
            )


def _maintenance_load(*, admin, now: datetime) -> None:
    starts_at = _local_midnight(now, MAINTENANCE_DAYS_AHEAD) + timedelta(hours=22)
    ends_at = starts_at + timedelta(hours=2)
    announce_from = _local_midnight(now, -1)
    window = MaintenanceWindow.objects.filter(message=MAINTENANCE_MESSAGE).first()
    if window is None:
        services.maintenance_window_create(
            actor=admin,
            starts_at=starts_at,
            ends_at=ends_at,
            announce_from=announce_from,
            message=MAINTENANCE_MESSAGE,
            message_en=MAINTENANCE_MESSAGE_EN,
        )
    elif window.starts_at <= now + timedelta(days=1):
        # Never let the demo's announced window turn into a real one that refuses sign-in.
        MaintenanceWindow.objects.filter(pk=window.pk).update(
            starts_at=starts_at, ends_at=ends_at, announce_from=announce_from
        )
        cache.delete(MAINTENANCE_CACHE_KEY)


def _welcome_message_load(*, resident) -> None:
    if OutboundMessage.objects.filter(kind=WELCOME_KIND).exists():
        return
    services.message_email_send(
        to=resident.email,
        user=resident,
        kind=WELCOME_KIND,
        subject="【こもれび市】子育てサポートへようこそ / Welcome to Childcare Support",
        body=(
            f"{resident.last_name} {resident.first_name} 様\n\n"
            "こもれび市 子育てサポートへのご登録ありがとうございます。\n"
            "一時預かりの予約や講座の申し込みができます。\n\n"
            "Thank you for registering with Komorebi City Childcare Support.\n"
            "You can now book temporary childcare and apply for classes."
        ),
    )


def municipality_demo_load(context: registry.DemoContext) -> None:
    # Created once: what a system administrator changes afterwards (a service switched off, say)
    # survives the next `make run`.
    # Only the services installed are switched on (each app registers its switch).
    installed = {service.flag for service in registry.services()}
    switches = {flag: flag in installed for flag in Municipality.SERVICE_FLAGS}
    _, created = Municipality.objects.get_or_create(
        pk=Municipality.SINGLETON_ID, defaults={**MUNICIPALITY, **switches}
    )
    if created:
        cache.delete(MUNICIPALITY_CACHE_KEY)


def foundation_demo_load(context: registry.DemoContext) -> None:
    """Announcements, the maintenance window and the welcome email (after accounts' loader)."""
    admin = context.users["admin"]
    _announcements_load(admin=admin, now=context.now)
    _maintenance_load(admin=admin, now=context.now)
    _welcome_message_load(resident=context.users["hanako"])


def demo_data_load(*, now: datetime | None = None) -> registry.DemoContext:
    """Run every registered demo loader, in order (call inside a transaction: the welcome email
    is handed to the worker on commit). Returns the context: its `accounts` are for printing."""
    context = registry.DemoContext(now=now or timezone.now())
    for loader in registry.demo_data_loaders():
        loader.load(context)
    return context
