"""Names from the real Babel (CLDR) and pycountry data, offline."""

from index.crosslink.names import name_pairs


def pairs():
    return {(nl, en): (w, nl_s, en_s) for nl, en, w, nl_s, en_s in name_pairs()}


def test_countries_cities_and_old_dutch_names():
    found = pairs()
    assert ("witrusland", "belarus") in found  # pycountry's Dutch
    assert ("moskou", "moscow") in found  # CLDR time-zone city
    assert ("oekraine", "ukrain") in found
    assert found[("oekraine", "ukrain")][1:] == ("Oekraïne", "Ukraine")
    assert ("rusland", "russia") in found  # Babel's English, not "Russian Federation"
    assert not any(en.startswith("russian feder") for _, en in found)
    assert ("verenigd koninkrijk", "unit kingdom") in found  # multi-word: joined stems
    assert ("kiev", "kyiv") in found  # pycountry "Kiev (stad)"
    assert all(0 < w <= 1 for w, _, _ in found.values())


def test_identical_terms_are_left_out():
    assert not any(nl == en for nl, en in pairs())


def test_name_sharing_a_stem_with_an_ordinary_word_is_weak():
    # Were the stem of Spanje shared with ordinary words (the stemmer alone gives "span"
    # for Spanje and spanning; the override table keeps "spanje"), the link is weak.
    common = {"nl": {"spanje": {"spanning", "spannen", "spanje"}}, "en": {}}
    found = {(nl, en): w for nl, en, w, _, _ in name_pairs(common)}
    assert found[("spanje", "spain")] < 0.5
    assert found[("moskou", "moscow")] >= 0.9
    # With the real stems there is no clash: the override keeps Spanje apart.
    found = {(nl, en): w for nl, en, w, _, _ in name_pairs({"nl": {}, "en": {}})}
    assert found[("spanje", "spain")] >= 0.9
    assert ("span", "spain") not in found
    # Inflected forms of the name itself are no clash (Nederlands / Nederland).
    common = {"nl": {"nederland": {"nederlands"}}, "en": {}}
    found = {(nl, en): w for nl, en, w, _, _ in name_pairs(common)}
    assert found[("nederland", "netherland")] >= 0.9
