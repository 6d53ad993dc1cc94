"""OAI-PMH response building (api.protocols.oai.response)."""

from __future__ import annotations

from tests.unit.support.records import minimal_record


def test_oai_dc_tags_only_han_names_as_chinese() -> None:
    from api.protocols.oai.response import DC_NS, XML_LANG, oai_dc

    record = minimal_record(
        people=[
            {"name": "张三", "role": "bearer"},
            {"name": "Jan de Vries", "role": "creator"},
        ]
    )
    dc = oai_dc(record, "http://x")
    names = {
        e.text: e.get(XML_LANG)
        for e in dc
        if e.tag in (f"{{{DC_NS}}}creator", f"{{{DC_NS}}}contributor")
    }
    assert names == {"张三": "zh", "Jan de Vries": None}


def test_oai_dc_publisher_is_the_institutions_names_else_its_code() -> None:
    from api.protocols.oai.response import DC_NS, XML_LANG, oai_dc

    record = minimal_record(institution="ansai")
    publisher = f"{{{DC_NS}}}publisher"
    named = oai_dc(record, "http://x", {"zh": "安塞区文化馆", "en": "Ansai Culture Centre"})
    found = [(e.text, e.get(XML_LANG)) for e in named if e.tag == publisher]
    assert found == [("安塞区文化馆", "zh"), ("Ansai Culture Centre", "en")]
    unnamed = oai_dc(record, "http://x")
    assert [(e.text, e.get(XML_LANG)) for e in unnamed if e.tag == publisher] == [("ansai", None)]
