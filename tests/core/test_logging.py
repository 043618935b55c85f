"""Each log line is written once: `make run` printed every worker and autoreloader line twice,
because Django's default "django" logger kept a console handler of its own beside the root's."""

import logging
import logging.config

import pytest
from django.conf import settings
from django.utils.log import DEFAULT_LOGGING


def handlers_for(name: str, record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers that would write `record`, walking up the logger tree as logging does."""
    found = []
    logger = logging.getLogger(name)
    while logger:
        found += [
            h
            for h in logger.handlers
            # pytest's own capture handlers sit on the root logger during tests.
            if not type(h).__module__.startswith("_pytest")
            and record.levelno >= h.level
            and h.filter(record)
        ]
        if not logger.propagate:
            break
        logger = logger.parent
    return found


@pytest.fixture
def configured_as_at_startup():
    # django.setup() applies Django's defaults first, then ours: do the same, and restore after.
    logging.config.dictConfig(DEFAULT_LOGGING)
    logging.config.dictConfig(settings.LOGGING)
    yield
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.parametrize("name", ["django.tasks", "django.utils.autoreload", "kosodate.core"])
def test_a_line_is_written_once_with_debug_on(name, configured_as_at_startup, settings):
    settings.DEBUG = True  # Django's console handler only shows lines with DEBUG on
    record = logging.LogRecord(name, logging.INFO, __file__, 1, "Task state=RUNNING", None, None)
    assert len(handlers_for(name, record)) == 1
