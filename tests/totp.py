"""An authenticator app for the tests: codes that are still valid when the server checks them.

Kosodate accepts only the current 30-second code (MFA_TOTP_TOLERANCE = 0), so a code read in the
last seconds of its period may reach the server in the next one and be refused, which made tests
fail now and then on a busy machine. This app waits for the next period instead of reading a
code that is about to expire."""

import time

import pyotp

# Seconds a code must have left when read: enough for a browser to type and submit it under load.
MARGIN = 8


class Totp(pyotp.TOTP):
    def now(self) -> str:
        left = self.interval - time.time() % self.interval
        if left < MARGIN:
            time.sleep(left + 0.05)
        return super().now()
