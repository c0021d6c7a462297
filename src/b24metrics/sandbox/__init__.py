"""Sandbox Bitrix24 portal: a real HTTP server on 127.0.0.1 speaking the
Bitrix24 REST protocol (inbound webhooks) over seeded, deterministic CRM data.

    from b24metrics.sandbox import SandboxPortal

    with SandboxPortal(seed=1, leads=500) as portal:
        print(portal.webhook_url)   # http://127.0.0.1:PORT/rest/1/<token>/

Methods: ``crm.lead.*`` (list/get/update/fields/userfield.*), ``crm.deal.*``
(list/get/update/fields/userfield.*), ``crm.company.*``
(list/get/update/fields/userfield.*),
``crm.contact.list/get``, ``crm.status.list``, ``crm.category.list``,
``crm.activity.list/get``, ``crm.stagehistory.list``, ``user.get``,
``voximplant.statistic.get``, ``batch``, ``server.time``, ``profile``, ``scope``.

Knobs for tests and benchmarks (see :class:`SandboxPortal`): the leaky bucket
and the operating limit, a cost model that prices counting and deep offsets
(:mod:`.cost`), latency, a time scale for the 10-minute window, faults
(``fail_next``, ``storm``, ``delay_next``, ``reject_records``), ``block_method``, ``on_request``
hooks and ``corrupt``.

Standard library only; shares no code with the project's HTTP client.
"""

from .server import SandboxPortal

__all__ = ["SandboxPortal"]
