"""Every change to accounts data goes through here (keyword-only `noun_verb` functions).

One module per flow:
- common.py: Shared by every flow: member numbers, terms acceptance, the auth event log.
- registration.py: Registration: a new household, its first guardian and children, and the confirmation email.
- signin.py: Sign-in, lockout and password reset: failures counted per account, the lock, sessions and passwords.
- mypage.py: My Page: the guardian's details, children, phone, data export and account deletion.
- counter.py: The counter (staff): identity checks, recovery, email changes, reset links, unlocking.
- second_step.py: The second step: SMS and email codes, methods, recovery codes, new-device notices and sessions, and the limit on guessing codes.
"""

from .common import (
    MEMBER_NUMBER_DIGITS,
    auth_event_record,
    member_number_generate,
    member_number_is_well_formed,
    terms_accept,
    user_create_with_member_number,
)
from .counter import (
    CARD_NUMBER_PATTERN,
    account_throttles_clear,
    account_unlock,
    counter_email_change,
    counter_reset_link_issue,
    counter_second_step_reset,
    identity_check_record,
    identity_note_has_card_number,
    password_reset_email_allowed,
    resident_view_record,
)
from .mypage import (
    CHILD_FIELDS,
    GUARDIAN_FIELDS,
    HOUSEHOLD_ADDRESS_FIELDS,
    account_data_export_record,
    account_delete,
    child_create,
    child_delete,
    child_update,
    details_confirm,
    guardian_details_update,
    user_phone_change,
)
from .registration import (
    REGISTRATION_UNCONFIRMED_LIFETIME,
    registration_complete,
    registration_confirmation_resend,
    registration_confirmation_send,
)
from .second_step import (
    SECOND_STEP_CODE_DIGITS,
    SecondStepCodeError,
    new_device_signin_notify,
    recovery_code_used_notify,
    second_step_authenticator_event,
    second_step_code_send,
    second_step_code_verify,
    second_step_default_set,
    second_step_failure_register,
    second_step_method_add,
    second_step_method_remove,
    second_step_success_register,
    user_session_end,
)
from .signin import (
    account_lock_clear_after_reset,
    login_failure_register,
    login_success_register,
    user_password_set,
    user_sessions_end,
    user_sign_out_everywhere,
)

__all__ = [
    "CARD_NUMBER_PATTERN",
    "CHILD_FIELDS",
    "GUARDIAN_FIELDS",
    "HOUSEHOLD_ADDRESS_FIELDS",
    "MEMBER_NUMBER_DIGITS",
    "REGISTRATION_UNCONFIRMED_LIFETIME",
    "SECOND_STEP_CODE_DIGITS",
    "SecondStepCodeError",
    "account_data_export_record",
    "account_delete",
    "account_lock_clear_after_reset",
    "account_throttles_clear",
    "account_unlock",
    "auth_event_record",
    "child_create",
    "child_delete",
    "child_update",
    "counter_email_change",
    "counter_reset_link_issue",
    "counter_second_step_reset",
    "details_confirm",
    "guardian_details_update",
    "identity_check_record",
    "identity_note_has_card_number",
    "login_failure_register",
    "login_success_register",
    "member_number_generate",
    "member_number_is_well_formed",
    "new_device_signin_notify",
    "password_reset_email_allowed",
    "recovery_code_used_notify",
    "registration_complete",
    "registration_confirmation_resend",
    "registration_confirmation_send",
    "resident_view_record",
    "second_step_authenticator_event",
    "second_step_code_send",
    "second_step_code_verify",
    "second_step_default_set",
    "second_step_failure_register",
    "second_step_method_add",
    "second_step_method_remove",
    "second_step_success_register",
    "terms_accept",
    "user_create_with_member_number",
    "user_password_set",
    "user_phone_change",
    "user_session_end",
    "user_sessions_end",
    "user_sign_out_everywhere",
]
