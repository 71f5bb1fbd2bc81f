#!/usr/bin/env python3
"""The JSON half of scripts/update-prices.sh.

  update_prices.py queries QUERIES.json
      one line per query (`go run . cost --price-queries`), tab-separated:
      its index, the service code, then one "Field=F,Value=V" per filter:
      the arguments of `aws pricing get-products`.

  update_prices.py merge TABLE QUERIES.json ANSWERS_DIR DATE
      reads ANSWERS_DIR/answer-<index>.json, what `aws pricing get-products
      --output json` printed for each query, and prints TABLE with those
      prices replaced. Each answer must hold exactly one product matching
      every filter, with exactly one on-demand term of one price dimension in
      the query's unit and a positive USD price; otherwise nothing is printed
      and every problem is listed on stderr (exit 1).

The answer's shape (AWS Price List API, GetProducts; botocore
data/pricing/2017-10-15/service-2.json and the CLI example
awscli/examples/pricing/get-products.rst): {"FormatVersion": "aws_v1",
"PriceList": [<string>, ...]} where each string is a JSON document
{"product": {"productFamily", "attributes": {...}, "sku"}, "serviceCode",
"terms": {"OnDemand": {"<sku>.<offerTermCode>": {"priceDimensions":
{"<rateCode>": {"unit", "pricePerUnit": {"USD": "0.1150000000"},
"description", ...}}, "sku", "effectiveDate", ...}}, "Reserved": {...}},
"version", "publicationDate"}. The CLI pages through NextToken itself and
joins the pages' PriceList.
"""

import json
import sys
from pathlib import Path

PROVENANCE_NOTE = (
    " Sections with their own as_of were refreshed from the Price List API by scripts/update-prices.sh"
    " (basis \"price-list-api\")."
)


class Problems(Exception):
    pass


def load_queries(path):
    queries = json.loads(Path(path).read_text())
    if not isinstance(queries, list) or not queries:
        raise Problems([f"{path}: no queries (expected the JSON list of `go run . cost --price-queries`)"])
    return queries


def shorthand(queries):
    """The get-products arguments of each query, as tab-separated lines."""
    lines, problems = [], []
    for i, q in enumerate(queries):
        fields = [str(i), q["service_code"]]
        for f in q["filters"]:
            for part in (f["field"], f["value"]):
                # The CLI's shorthand syntax splits on "," and "="; the
                # line format on tabs.
                if any(c in part for c in ",=\t\n") or not part:
                    problems.append(f"query {q['section']} {q['key']}: {part!r} cannot be passed as a shorthand filter")
            fields.append(f"Field={f['field']},Value={f['value']}")
        lines.append("\t".join(fields))
    if problems:
        raise Problems(problems)
    return lines


def matches(product, field, value):
    """Whether a product has field = value, as GetProducts' TERM_MATCH
    compares: ServiceCode, the product's productFamily, or an attribute."""
    p = product.get("product", {})
    if field == "ServiceCode":
        return product.get("serviceCode") == value
    if field == "productFamily":
        return p.get("productFamily") == value
    return p.get("attributes", {}).get(field) == value


def describe(q):
    return f"{q['region']} {q['section']} {q['key']} ({q['service_code']}: " + ", ".join(
        f"{f['field']}={f['value']}" for f in q["filters"]) + ")"


def price_of(q, answer):
    """The table item of one query's answer, or raise Problems."""
    where = describe(q)
    price_list = answer.get("PriceList")
    if not isinstance(price_list, list):
        raise Problems([f"{where}: the answer has no PriceList list"])
    products = []
    for raw in price_list:
        if not isinstance(raw, str):
            raise Problems([f"{where}: a PriceList entry is a {type(raw).__name__}; the API returns JSON strings"])
        products.append(json.loads(raw))
    stray = [p.get("product", {}).get("sku", "?") for p in products
             if not all(matches(p, f["field"], f["value"]) for f in q["filters"])]
    if stray:
        raise Problems([f"{where}: the answer holds products that do not match the filters ({', '.join(stray)}): "
                        "was a filter field misspelt?"])
    if len(products) != 1:
        skus = ", ".join(p.get("product", {}).get("sku", "?") for p in products)
        fix = ("is the type offered in this region? (aws ec2 describe-instance-type-offerings, or the service's console); "
               "or remove it from the environments") if not products else (
            "narrow the query: add the attribute that tells them apart to the section's filters in cost/prices.go (fetchable)")
        raise Problems([f"{where}: {len(products)} products match, want exactly 1 [{skus}]: {fix}"])
    p = products[0]
    terms = p.get("terms", {}).get("OnDemand", {})
    if len(terms) != 1:
        raise Problems([f"{where}: {len(terms)} on-demand terms, want 1"])
    term = next(iter(terms.values()))
    dims = list(term.get("priceDimensions", {}).values())
    if len(dims) != 1:
        raise Problems([f"{where}: {len(dims)} price dimensions (a tiered price?), want 1"])
    dim = dims[0]
    if dim.get("unit") != q["api_unit"]:
        raise Problems([f"{where}: priced per {dim.get('unit')!r}, want {q['api_unit']!r}"])
    usd = dim.get("pricePerUnit", {}).get("USD")
    try:
        value = float(usd)
    except (TypeError, ValueError):
        raise Problems([f"{where}: no USD price ({dim.get('pricePerUnit')})"])
    if not value > 0:
        raise Problems([f"{where}: price {usd}: the table lists only what is billed"])
    item = {
        "usd": value,
        "unit": q["unit"],
        "basis": "price-list-api",
        "attributes": "; ".join(f"{f['field']}={f['value']}" for f in q["filters"][1:2]),
        "sku": p["product"].get("sku") or term.get("sku", ""),
        "effective_date": str(term.get("effectiveDate", ""))[:10],
    }
    if dim.get("description"):
        item["description"] = dim["description"]
    if not item["sku"]:
        raise Problems([f"{where}: the product has no sku"])
    return item


def merge(table_path, queries_path, answers_dir, date):
    table = json.loads(Path(table_path).read_text())
    queries = load_queries(queries_path)
    problems, fetched = [], {}
    for i, q in enumerate(queries):
        path = Path(answers_dir) / f"answer-{i}.json"
        try:
            answer = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            problems.append(f"{describe(q)}: cannot read the answer {path}: {e}")
            continue
        try:
            fetched[(q["region"], q["section"], q["key"])] = (q, price_of(q, answer))
        except Problems as e:
            problems.extend(e.args[0])
    if problems:
        raise Problems(problems)

    changes = []
    refreshed = {}
    for (region, section, key), (q, item) in fetched.items():
        refreshed.setdefault((region, section), []).append((key, q, item))
    for (region, section), entries in sorted(refreshed.items()):
        sections = table["regions"].setdefault(region, {})
        old = sections.get(section, {"items": {}})
        shared = "; ".join(f"{f['field']}={f['value']}" for f in entries[0][1]["filters"][2:]) + "; terms.OnDemand"
        new_items = {}
        for key, q, item in sorted(entries, key=lambda e: e[0]):
            before = old.get("items", {}).get(key)
            if before is None:
                changes.append(f"{region} {section} {key}: new, {item['usd']:g} per {item['unit']}")
            elif before.get("usd") != item["usd"] or before.get("basis") != item["basis"]:
                changes.append(f"{region} {section} {key}: {before.get('usd'):g} ({before.get('basis')}) -> {item['usd']:g}")
            # A hand-written caveat stays; the note of an estimate said how
            # it was estimated, which no longer holds.
            if before and before.get("note") and before.get("basis") != "estimated":
                item["note"] = before["note"]
            new_items[key] = item
        for key in sorted(set(old.get("items", {})) - set(new_items)):
            changes.append(f"{region} {section} {key}: removed (no environment uses it)")
        sections[section] = {"source": entries[0][1]["source"], "attributes": shared, "as_of": date, "items": new_items}
    if PROVENANCE_NOTE.strip() not in table.get("provenance", ""):
        table["provenance"] = table.get("provenance", "") + PROVENANCE_NOTE
    return table, changes


def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "queries":
            print("\n".join(shorthand(load_queries(argv[1]))))
            return 0
        if len(argv) == 5 and argv[0] == "merge":
            table, changes = merge(*argv[1:])
            sys.stdout.write(json.dumps(table, indent=2, ensure_ascii=False) + "\n")
            for c in changes or ["no price changed"]:
                sys.stderr.write(f"update-prices: {c}\n")
            return 0
    except Problems as e:
        for p in e.args[0]:
            sys.stderr.write(f"update-prices: {p}\n")
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
