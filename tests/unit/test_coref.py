"""Within-article coreference of names, national institutions resolved by the article's evidence, and
people's countries from the organisation or country that qualifies them (transforms.coref, transforms.entities)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.coref import link_names
from transforms.entities import Mention

spacy = pytest.importorskip("spacy")


def _person(start: int, text: str, key: str | None = None, country: str | None = None) -> Mention:
    m = Mention("a", start, start + len(text), text, "PERSON", key or f"person:{text.lower()}", text)
    m.country, m.country_source = country, ("title: x" if country else None)
    return m


def test_a_surname_takes_the_full_name_met_in_the_article() -> None:
    body = "Tory leader Michael Howard spoke. Mr Howard said later that Howard's plan stood."
    full = _person(12, "Michael Howard", "person:michael-howard", "GBR")
    mr = _person(37, "Howard")
    poss = Mention("a", 60, 68, "Howard's", "LOC", "loc:howard-s", "Howard's")  # NER typed it a place
    link_names([full, mr, poss], {"a": body})
    for m in (mr, poss):
        assert (m.key, m.canonical, m.entity_type, m.country) == (
            "person:michael-howard",
            "Michael Howard",
            "PERSON",
            "GBR",
        )
        assert m.resolution.endswith("+coref")


def test_a_bare_surname_no_detector_marked_is_found_once_a_name_gives_it() -> None:
    body = (
        "Foreign Minister Iwaya met Cho Tae-yul. Iwaya and Cho will meet again; Cherie Blair and "
        "Tony Blair came. Blair House. In May, Tony May said he may go."
    )
    ms = [
        _person(17, "Iwaya", "person:iwaya", "JPN"),
        _person(27, "Cho Tae-yul", "person:cho-tae-yul", "KOR"),
        _person(88, "Tony Blair", "person:tony-blair", "GBR"),
        _person(126, "Tony May", "person:tony-may"),
    ]
    ms[0].role_title = "Foreign Minister"
    link_names(ms, {"a": body})
    found = sorted((m.start, m.text, m.key, m.country) for m in ms[4:])
    assert found == [
        (40, "Iwaya", "person:iwaya", "JPN"),
        (50, "Cho", "person:cho-tae-yul", "KOR"),
    ]  # not "Cherie Blair" or "Blair House" (other names), not "May" (a word the article writes)
    assert all(m.resolution == "surname-in-text+coref" for m in ms[4:])


def test_a_person_mention_without_a_names_shape_gives_no_surname() -> None:
    body = "The prize went to Maria Full of Grace. Grace won twice, and the Early HSDPA phones; HSDPA works."
    ms = [_person(18, "Maria Full of Grace"), _person(64, "Early HSDPA")]  # the NER's misreadings
    link_names(ms, {"a": body})
    assert len(ms) == 2


def test_a_one_word_name_that_starts_a_sentence_is_not_searched_for() -> None:
    body = "He was adviser to the Chancellor. Prior spoke. Prior to that, he had left."
    prior = _person(34, "Prior")
    prior.role_title = "adviser to the Chancellor."  # a title read across the sentence's end
    ms = [prior]
    link_names(ms, {"a": body})
    assert len(ms) == 1


def test_a_surname_two_full_names_share_is_left_alone() -> None:
    ms = [_person(0, "Gordon Brown"), _person(20, "Nick Brown"), _person(40, "Brown")]
    link_names(ms, {"a": " " * 60})
    assert ms[2].key == "person:brown"


def test_hyphenated_names_east_asian_and_western() -> None:
    ms = [
        _person(0, "Robert Kilroy-Silk"),
        _person(30, "Kilroy-Silk"),
        _person(50, "Lee Jae-myung"),
        _person(70, "Lee"),
    ]
    link_names(ms, {"a": " " * 80})
    assert [m.key for m in ms] == ["person:robert kilroy-silk"] * 2 + ["person:lee jae-myung"] * 2


def test_a_first_name_after_a_title_and_an_acronym() -> None:
    body = "Sir Menzies Campbell spoke. Sir Menzies then left. The Office of Fair Trading (OFT) agreed; the OFT said."
    ms = [
        _person(4, "Menzies Campbell"),
        _person(32, "Menzies"),
        Mention("a", 56, 78, "Office of Fair Trading", "ORG", "org:oft-full", "Office of Fair Trading"),
        Mention("a", 80, 83, "OFT", "ORG", "org:oft", "OFT"),
        Mention("a", 99, 102, "OFT", "MISC", "misc:oft", "OFT"),
    ]
    link_names(ms, {"a": body})
    assert ms[1].key == "person:menzies campbell"
    assert ms[3].key == ms[4].key == "org:oft-full" and ms[4].entity_type == "ORG"
    # a surname alone does not take a first name's full name
    ms = [_person(0, "Menzies Campbell"), _person(30, "Menzies")]
    link_names(ms, {"a": "Menzies Campbell spoke, and then Menzies left."})
    assert ms[1].key == "person:menzies"


@pytest.fixture(scope="module")
def fake_nlp():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PER", "pattern": "Alan Milburn"},
            {"label": "PER", "pattern": "Milburn"},
            {"label": "PER", "pattern": "Jane Doe"},
            {"label": "PER", "pattern": "Helen Clark"},
        ]
    )
    return nlp


def _mentions(reference: dict, nlp, body: str) -> dict[str, dict]:
    from transforms.extract import extract

    arts = pl.DataFrame({"article_id": ["a1"], "body": [body], "published_date": [date(2005, 3, 1)]})
    out = extract(arts, reference, today=date(2026, 1, 1), nlp=nlp)
    ents = {r["entity_id"]: r for r in out["entities"].iter_rows(named=True)}
    return {
        r["mention_text"]: {**r, "entity": ents[r["entity_id"]]}
        for r in out["entity_mentions"].iter_rows(named=True)
    }


def test_labour_is_the_party_of_the_country_the_article_names(reference: dict, fake_nlp) -> None:
    m = _mentions(
        reference,
        fake_nlp,
        "Labour's election co-ordinator Alan Milburn met Tony Blair in London. Milburn said Labour would win.",
    )
    assert m["Labour"]["entity_id"] == "CUR:GBR_LABOUR_PARTY"
    assert m["Labour"]["entity"]["country_iso3"] == "GBR"
    assert m["Alan Milburn"]["entity"]["country_iso3"] == "GBR"  # "Labour's election co-ordinator"
    assert m["Milburn"]["entity_id"] == m["Alan Milburn"]["entity_id"]
    nz = _mentions(reference, fake_nlp, "Labour leader Helen Clark won the election in New Zealand.")
    assert nz["Labour"]["entity_id"] == "CUR:NZL_LABOUR_PARTY"
    assert nz["Helen Clark"]["entity"]["country_iso3"] == "NZL"


def test_an_institution_the_article_does_not_place_stays_unknown(reference: dict, fake_nlp) -> None:
    m = _mentions(reference, fake_nlp, "Labour won the vote in Paris, Jane Doe said.")
    assert m["Labour"]["entity"]["country_iso3"] is None
    assert m["Labour"]["entity"]["country_source"].startswith("unknown: 'Labour' names an institution of")
    assert m["Jane Doe"]["entity"]["country_iso3"] is None  # no title, no qualifier: no country


def test_a_place_after_a_preposition_is_not_a_persons_country(reference: dict, fake_nlp) -> None:
    m = _mentions(reference, fake_nlp, "Troops left Iraq with defence adviser Jane Doe on Monday.")
    assert m["Jane Doe"]["entity"]["country_iso3"] is None
    m = _mentions(reference, fake_nlp, "Jane Doe, a spokeswoman for the Home Office, said no.")
    assert m["Jane Doe"]["entity"]["country_iso3"] == "GBR"


def test_honorifics_and_title_words_alone_are_no_people(reference: dict) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [
            {"label": "PER", "pattern": "MP"},
            {"label": "PER", "pattern": "Mr"},
            {"label": "PER", "pattern": "Shadow"},
        ]
    )
    m = _mentions(
        reference, nlp, "Shadow home secretary said an MP and Mr spoke before the General Election."
    )
    assert not {"MP", "Mr", "Shadow", "Election"} & set(m)


def test_an_organisation_takes_the_country_its_name_holds(reference: dict) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "ORG", "pattern": "Cardiff University"}, {"label": "ORG", "pattern": "Acme Widgets"}]
    )
    m = _mentions(reference, nlp, "Cardiff University and Acme Widgets signed a deal.")
    assert m["Cardiff University"]["entity"]["country_iso3"] == "GBR"
    assert m["Cardiff University"]["entity"]["country_source"] == "name: Cardiff"
    assert m["Acme Widgets"]["entity"]["country_iso3"] is None


def test_a_shorter_full_name_and_a_surname_the_text_writes_in_full() -> None:
    body = "Robert Kilroy-Silk left. Kilroy Silk said so. Amit Yoran resigned; Mr Yoran was head of security."
    ms = [_person(0, "Robert Kilroy-Silk"), _person(25, "Kilroy Silk"), _person(73, "Yoran")]
    link_names(ms, {"a": body})
    assert ms[1].key == "person:robert kilroy-silk"
    assert (ms[2].key, ms[2].canonical) == ("person:amit-yoran", "Amit Yoran")
    # two first names before the surname: which one, the text does not say
    ms = [_person(40, "Yoran")]
    link_names(ms, {"a": "Amit Yoran and Dana Yoran met. Later Mr Yoran left."})
    assert ms[0].key == "person:yoran"


def test_a_peer_and_a_persons_aide(reference: dict) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PER", "pattern": "Alastair Campbell"}])
    m = _mentions(
        reference, nlp, "Lord Falconer spoke. Tony Blair's former communications chief Alastair Campbell."
    )
    assert m["Falconer"]["entity"]["country_iso3"] == "GBR"
    assert m["Alastair Campbell"]["entity"]["country_iso3"] == "GBR"
    m = _mentions(reference, nlp, "Tony Blair met Alastair Campbell.")
    assert m["Alastair Campbell"]["entity"]["country_iso3"] is None


def test_a_title_does_not_run_across_a_sentence_end(reference: dict, fake_nlp) -> None:
    m = _mentions(
        reference,
        fake_nlp,
        "He was an adviser to Chancellor Gordon Brown. Prior to that he taught. "
        "She is a Commander of the Order of Bath. Both were honoured.",
    )
    assert "Prior" not in m and "Both" not in m  # not names: words that start a sentence
    assert m["Gordon Brown"]["entity_type"] == "PERSON"


def test_an_office_word_or_an_honorific_between_qualifier_and_person(reference: dict, fake_nlp) -> None:
    m = _mentions(
        reference,
        fake_nlp,
        "Former Downing Street communications chief Alastair Campbell spoke. Tory whip Mr Smith agreed. "
        "Labour spokesman Mr Kemp said so.",
    )
    assert m["Alastair Campbell"]["entity"]["country_iso3"] == "GBR"
    assert m["Smith"]["entity"]["country_iso3"] == "GBR"
    # a courtesy title is not part of the name: "Kemp", not "Mr Kemp"
    assert "Mr Kemp" not in m
    assert (m["Kemp"]["entity"]["canonical_name"], m["Kemp"]["entity"]["country_iso3"]) == ("Kemp", "GBR")


def test_a_titled_name_with_a_style_is_one_mention(reference: dict, fake_nlp) -> None:
    m = _mentions(
        reference, fake_nlp, "Attorney General Lord Goldsmith spoke. Chairman Sir Digby Jones agreed."
    )
    assert "Goldsmith" not in m and "Digby Jones" not in m  # not a second, overlapping mention
    assert m["Lord Goldsmith"]["role_title"] == "Attorney General"
    assert m["Lord Goldsmith"]["entity"]["country_iso3"] == "GBR"  # a peerage of the United Kingdom
    assert m["Sir Digby Jones"]["role_title"] == "Chairman"
