"""Tests of scripts/update_prices.py (pytest): the answers the fixtures of
update_prices.bats do not vary. The end-to-end cases, with the real queries,
a fake AWS CLI and the app reading the result, are in update_prices.bats."""

import copy
import json
import pathlib
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "update_prices.py"
sys.path.insert(0, str(SCRIPT.parent))
import update_prices as up  # noqa: E402

QUERY = {
    "region": "eu-central-1", "section": "ec2_instances", "key": "m6i.large", "service_code": "AmazonEC2",
    "filters": [{"field": "regionCode", "value": "eu-central-1"}, {"field": "instanceType", "value": "m6i.large"},
                {"field": "productFamily", "value": "Compute Instance"}, {"field": "operatingSystem", "value": "Linux"}],
    "api_unit": "Hrs", "unit": "hour",
    "source": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/eu-central-1/index.json",
}
PRODUCT = {
    "product": {"productFamily": "Compute Instance", "sku": "ABCDEFGHJKMNPQRS", "attributes": {
        "regionCode": "eu-central-1", "instanceType": "m6i.large", "operatingSystem": "Linux"}},
    "serviceCode": "AmazonEC2",
    "terms": {"OnDemand": {"ABCDEFGHJKMNPQRS.JRTCKXETXF": {
        "priceDimensions": {"ABCDEFGHJKMNPQRS.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Hrs", "pricePerUnit": {"USD": "0.1150000000"}, "description": "$0.115 per On Demand Linux m6i.large Instance Hour"}},
        "sku": "ABCDEFGHJKMNPQRS", "effectiveDate": "2025-01-01T00:00:00Z"}}},
}


def answer(*products):
    return {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in products]}


def test_one_product_one_price():
    item = up.price_of(QUERY, answer(PRODUCT))
    assert item == {"usd": 0.115, "unit": "hour", "basis": "price-list-api", "attributes": "instanceType=m6i.large",
                    "sku": "ABCDEFGHJKMNPQRS", "effective_date": "2025-01-01",
                    "description": "$0.115 per On Demand Linux m6i.large Instance Hour"}


def mutated(fn):
    p = copy.deepcopy(PRODUCT)
    fn(p)
    return p


def dims(p):
    return next(iter(p["terms"]["OnDemand"].values()))["priceDimensions"]


@pytest.mark.parametrize("ans,want", [
    ({"FormatVersion": "aws_v1"}, "no PriceList"),
    ({"PriceList": [PRODUCT]}, "JSON strings"),  # objects, not the API's strings
    (answer(), "0 products match"),
    (answer(PRODUCT, mutated(lambda p: p["product"].update(sku="ZZZZZZZZZZZZZZZZ"))), "2 products match"),
    (answer(mutated(lambda p: p["product"]["attributes"].update(operatingSystem="Windows"))), "do not match the filters"),
    (answer(mutated(lambda p: p["product"].update(productFamily="Storage"))), "do not match the filters"),
    (answer(mutated(lambda p: p["terms"].update(OnDemand={}))), "0 on-demand terms"),
    (answer(mutated(lambda p: dims(p).update(second={"unit": "Hrs", "pricePerUnit": {"USD": "0.1"}}))), "2 price dimensions"),
    (answer(mutated(lambda p: next(iter(dims(p).values())).update(unit="Quantity"))), "priced per 'Quantity'"),
    (answer(mutated(lambda p: next(iter(dims(p).values())).update(pricePerUnit={"CNY": "0.8"}))), "no USD price"),
    (answer(mutated(lambda p: next(iter(dims(p).values())).update(pricePerUnit={"USD": "0.0000000000"}))), "only what is billed"),
])
def test_anything_but_one_price_is_refused(ans, want):
    with pytest.raises(up.Problems) as e:
        up.price_of(QUERY, ans)
    assert want in e.value.args[0][0]
    assert "eu-central-1 ec2_instances m6i.large" in e.value.args[0][0]


def test_shorthand():
    assert up.shorthand([QUERY]) == [
        "0\tAmazonEC2\tField=regionCode,Value=eu-central-1\tField=instanceType,Value=m6i.large\t"
        "Field=productFamily,Value=Compute Instance\tField=operatingSystem,Value=Linux"]
    bad = copy.deepcopy(QUERY)
    bad["filters"][3]["value"] = "Linux,Windows"
    with pytest.raises(up.Problems):
        up.shorthand([bad])


def test_merge_keeps_caveats_and_drops_estimates(tmp_path):
    table = {"as_of": "2025-01", "currency": "USD", "provenance": "transcribed", "regions": {"eu-central-1": {
        "ec2_instances": {"source": QUERY["source"], "items": {
            "m6i.large": {"usd": 0.1, "unit": "hour", "basis": "recalled", "note": "a caveat"},
            "m5.large": {"usd": 0.1, "unit": "hour", "basis": "recalled"}}},
        "kms": {"source": "k", "items": {"key": {"usd": 1, "unit": "key-month", "basis": "recalled"}}}}}}
    (tmp_path / "t.json").write_text(json.dumps(table))
    (tmp_path / "q.json").write_text(json.dumps([QUERY]))
    (tmp_path / "answer-0.json").write_text(json.dumps(answer(PRODUCT)))
    out, changes = up.merge(tmp_path / "t.json", tmp_path / "q.json", tmp_path, "2026-02-03")
    sec = out["regions"]["eu-central-1"]["ec2_instances"]
    assert sec["as_of"] == "2026-02-03"
    assert sec["attributes"] == "productFamily=Compute Instance; operatingSystem=Linux; terms.OnDemand"
    assert list(sec["items"]) == ["m6i.large"]  # m5.large is no longer used
    assert sec["items"]["m6i.large"]["note"] == "a caveat"
    assert out["regions"]["eu-central-1"]["kms"] == table["regions"]["eu-central-1"]["kms"]
    assert "price-list-api" in out["provenance"]
    assert any("m5.large: removed" in c for c in changes)
    assert any("m6i.large: 0.1 (recalled) -> 0.115" in c for c in changes)
    # again: the provenance note is not repeated
    (tmp_path / "t.json").write_text(json.dumps(out))
    again, _ = up.merge(tmp_path / "t.json", tmp_path / "q.json", tmp_path, "2026-02-03")
    assert again == out
