import logging

from b24metrics.redact import redact, register_secret


def test_webhook_paths_are_masked_even_unregistered():
    assert redact("POST https://x.bitrix24.ru/rest/12/abcDEF123/crm.lead.list 200") == (
        "POST https://x.bitrix24.ru/rest/12/***/crm.lead.list 200"
    )


def test_registered_secret_is_masked_in_every_log_record(caplog):
    register_secret("canary-logs-777")
    log = logging.getLogger("anything.at.all")
    with caplog.at_level(logging.DEBUG):
        log.info("token %s in args", "canary-logs-777")
        try:
            raise ValueError("boom canary-logs-777")
        except ValueError:
            log.exception("failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "canary-logs-777" not in text and "***" in text and "boom" in text
