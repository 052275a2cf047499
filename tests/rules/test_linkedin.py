"""Tests for rules.linkedin: LinkedIn notification mails and who wrote them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.records import Address, MailItem
from rules.linkedin import LinkedInNotice, classify, is_linkedin, match_notice
from rules.names import NameIndex

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DIGEST = "messaging-digest-noreply@linkedin.com"
MESSAGES = "messages-noreply@linkedin.com"
INMAIL = "inmail-hit-reply@linkedin.com"


def notification(subject, sender=DIGEST, display="LinkedIn", headers=()):
    return MailItem(
        source="test",
        external_id="1",
        sent_at=NOW,
        sender=Address(sender, display),
        to=(Address("me@example.com"),),
        subject=subject,
        headers=tuple((name.lower(), value) for name, value in headers),
    )


@pytest.mark.parametrize(
    ("item", "name"),
    [
        # English, as LinkedIn sends them
        (notification("Ada Lovelace just messaged you"), "Ada Lovelace"),
        (notification("Ada Lovelace sent you a message", sender=MESSAGES), "Ada Lovelace"),
        (notification("Ada Lovelace sent you a new message"), "Ada Lovelace"),
        (notification("New message from Ada Lovelace"), "Ada Lovelace"),
        (notification("You have a new message from Ada Lovelace"), "Ada Lovelace"),
        (notification("Ada Lovelace sent you an InMail", sender=INMAIL), "Ada Lovelace"),
        (notification("RE: Ada Lovelace replied to your message"), "Ada Lovelace"),
        # the display name "Name via LinkedIn" wins over the subject
        (notification("New message", display="Ada Lovelace via LinkedIn",
                      headers=[("X-LinkedIn-Class", "MBR-TO-MBR")]), "Ada Lovelace"),
        (notification("Ada just messaged you", display="Ada Lovelace via LinkedIn"), "Ada Lovelace"),
        # headers alone decide the kind
        (notification("Hello there", display="Grace Hopper via LinkedIn",
                      headers=[("X-LinkedIn-Class", "INMAIL")]), "Grace Hopper"),
        (notification("Grace Hopper", display="LinkedIn",
                      headers=[("X-LinkedIn-Template", "email_member_message_v2")]), ""),
        (notification("Quick question", display="Grace Hopper",
                      headers=[("X-LinkedIn-Template", "email_type_messaging_digest")]), "Grace Hopper"),
        # German
        (notification("José Álvarez hat Ihnen eine Nachricht gesendet"), "José Álvarez"),
        (notification("Neue Nachricht von José Álvarez"), "José Álvarez"),
        # French
        (notification("José Álvarez vous a envoyé un message"), "José Álvarez"),
        (notification("Nouveau message de José Álvarez"), "José Álvarez"),
        # Spanish
        (notification("José Álvarez te ha enviado un mensaje"), "José Álvarez"),
        (notification("Nuevo mensaje de José Álvarez"), "José Álvarez"),
        # Portuguese
        (notification("José Álvarez acabou de enviar uma mensagem a você"), "José Álvarez"),
        (notification("José Álvarez enviou uma mensagem para você"), "José Álvarez"),
        (notification("Nova mensagem de José Álvarez"), "José Álvarez"),
        # Dutch
        (notification("José Álvarez heeft u een bericht gestuurd"), "José Álvarez"),
        (notification("Nieuw bericht van José Álvarez"), "José Álvarez"),
        # Italian
        (notification("José Álvarez ti ha inviato un messaggio"), "José Álvarez"),
        (notification("Nuovo messaggio da José Álvarez"), "José Álvarez"),
    ],
)
def test_a_message_notification_names_the_writer(item, name):
    notice = classify(item)
    assert notice is not None and notice.kind == "message"
    assert notice.name == name
    assert notice.reason


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (notification("Ada Lovelace wants to connect", sender="invitations@linkedin.com"), "invitation"),
        (notification("I want to connect", sender="invitations@linkedin.com", display="Ada Lovelace via LinkedIn"),
         "invitation"),
        (notification("You have an invitation", sender="invitations@linkedin.com"), "invitation"),
        (notification("Ada Lovelace accepted your invitation", sender="invitations@linkedin.com"), "invitation"),
        (notification("Software Engineer at Analytical Engines", sender="jobalerts-noreply@linkedin.com",
                      headers=[("X-LinkedIn-Class", "SAVEDSEARCH"),
                               ("X-LinkedIn-Template", "email_job_alert_digest_01")]), "job alert"),
        (notification("30+ new jobs for 'engineer'", sender="jobs-listings@linkedin.com"), "job alert"),
        (notification("Ada Lovelace viewed your profile", sender="notifications-noreply@linkedin.com"),
         "profile views"),
        (notification("People are looking at your profile", sender="notifications-noreply@linkedin.com"),
         "profile views"),
        (notification("You appeared in 17 searches this week", sender="notifications-noreply@linkedin.com"),
         "profile views"),
        (notification("Ada Lovelace shared a post", sender="notifications-noreply@linkedin.com"), "network update"),
        (notification("Congratulate Ada Lovelace for 5 years at Analytical Engines",
                      sender="notifications-noreply@linkedin.com"), "network update"),
        (notification("Me, add Ada Lovelace - Countess", sender=MESSAGES), "network update"),
        (notification("Your weekly digest", sender="updates-noreply@linkedin.com"), "digest"),
        (notification("The Analytical Issue #4", sender="newsletters-noreply@linkedin.com",
                      display="Ada Lovelace via LinkedIn"), "notification"),
        (notification("Ada Lovelace sent you a message", sender=INMAIL,
                      headers=[("X-LinkedIn-Template", "sponsored_inmail_v2")]), "sponsored"),
    ],
)
def test_other_linkedin_mail_is_ignored_with_a_reason(item, why):
    notice = classify(item)
    assert notice is not None and notice.kind == "ignored"
    assert why in notice.reason


@pytest.mark.parametrize(
    "item",
    [
        notification("Ada Lovelace sent you a message", sender="ada@example.com"),
        notification("New message from Ada", sender="linkedin@fake-linkedin.com.example"),
        MailItem(source="test", external_id="2", sent_at=NOW, sender=None, subject="x"),
    ],
)
def test_mail_not_from_linkedin_is_not_a_notice(item):
    assert classify(item) is None


def test_linkedin_subdomains_count_as_linkedin():
    assert is_linkedin(notification("x", sender="linkedin@e.linkedin.com"))


NAMES = NameIndex([("ada", "Ada Lovelace, PhD"), ("sam-1", "Sam Lee"), ("sam-2", "Sam Lee (he/him)")])


@pytest.mark.parametrize(
    ("notice", "key", "candidates"),
    [
        (LinkedInNotice("message", "Ada Lovelace", "r"), "ada", None),
        (LinkedInNotice("message", "Dr. Ada Lovelace", "r"), "ada", None),
        (LinkedInNotice("message", "Sam Lee", "r"), None, ("sam-1", "sam-2")),
        (LinkedInNotice("message", "Ada", "r"), None, None),
        (LinkedInNotice("message", "", "r"), None, None),
        (LinkedInNotice("ignored", "Ada Lovelace", "r"), None, None),
    ],
)
def test_match_notice_takes_unique_names_only(notice, key, candidates):
    found, review = match_notice(notice, NAMES)
    assert found == key
    assert (review.candidates if review else None) == candidates
    if review:
        assert review.kind == "name" and review.reason


def test_a_classified_message_matches_its_contact_end_to_end():
    notice = classify(notification("Ada Lovelace (she/her) just messaged you"))
    assert notice is not None
    assert match_notice(notice, NAMES) == ("ada", None)


@given(subject=st.text(max_size=60), display=st.text(max_size=30))
def test_every_linkedin_mail_gets_a_kind_and_a_reason(subject, display):
    notice = classify(notification(subject, display=display))
    assert notice is not None
    assert notice.kind in {"message", "ignored"} and notice.reason
