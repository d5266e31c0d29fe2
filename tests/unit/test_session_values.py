"""What the session hands back: pypsrp values flattened to plain Python, DateTime aware."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from orchestrator.session import _PlainSerializer, to_plain

MAILBOX = """<Obj RefId="0"><TN RefId="0">
<T>Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox</T>
<T>Deserialized.System.Object</T></TN><ToString>Ann</ToString><Props>
<S N="DisplayName">Ann</S><G N="ExchangeGuid">0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</G>
<DT N="WhenSoftDeleted">2024-03-01T10:11:12.1234567Z</DT><DT N="WhenCreated">2024-03-01T10:11:12.5+01:00</DT>
<DT N="Unspecified">2024-03-01T10:11:12</DT><B N="LitigationHoldEnabled">false</B><I32 N="Count">3</I32>
<Obj N="EmailAddresses" RefId="1"><TN RefId="1">
<T>Deserialized.Microsoft.Exchange.Data.ProxyAddressCollection</T><T>Deserialized.System.Object</T></TN>
<LST><S>SMTP:ann@contoso.com</S><S>smtp:a@contoso.com</S></LST></Obj>
<Nil N="ArchiveGuid" /></Props><MS><S N="Extra">note</S></MS></Obj>"""


def test_generic_object_flattened_with_aware_datetimes() -> None:
    value = to_plain(_PlainSerializer().deserialize(MAILBOX))
    assert isinstance(value, dict)
    assert value["DisplayName"] == "Ann" and value["Extra"] == "note"
    assert value["ExchangeGuid"] == uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    assert value["WhenSoftDeleted"] == datetime(2024, 3, 1, 10, 11, 12, 123456, tzinfo=UTC)
    assert value["WhenCreated"] == datetime(
        2024, 3, 1, 10, 11, 12, 500000, tzinfo=timezone(timedelta(hours=1))
    )
    assert value["Unspecified"] == datetime(2024, 3, 1, 10, 11, 12, tzinfo=UTC)
    assert value["LitigationHoldEnabled"] is False and value["Count"] == 3
    assert value["EmailAddresses"] == ["SMTP:ann@contoso.com", "smtp:a@contoso.com"]
    assert value["ArchiveGuid"] is None


def test_top_level_datetime_and_primitives() -> None:
    ser = _PlainSerializer()
    assert ser.deserialize("<DT>2024-01-02T03:04:05Z</DT>") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ser.deserialize("<DT>not a date</DT>") == "not a date"
    assert to_plain(ser.deserialize("<S>plain</S>")) == "plain"
    assert to_plain(ser.deserialize("<I64>5</I64>")) == 5


def test_raw_clixml_strings_are_parsed_defensively() -> None:
    raw = (
        '<Obj RefId="0"><TN RefId="0"><T>Some.Type</T></TN><Props><S N="A">x</S>'
        '<DT N="When">2024-05-06T07:08:09Z</DT><Obj N="L" RefId="1"><LST><S>a</S><S>b</S></LST></Obj>'
        "</Props></Obj>"
    )
    assert to_plain(raw) == {"A": "x", "When": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC), "L": ["a", "b"]}
    assert to_plain("<LST><S>a</S></LST>") == ["a"]
    assert to_plain("<b>not clixml</b>") == "<b>not clixml</b>"
    assert to_plain("<Obj broken") == "<Obj broken"
