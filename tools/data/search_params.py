#!/usr/bin/env python3
"""Writes data/fhir-r4/search-parameters.json from an R4 search-parameters.json.

Keeps, per SearchParameter, only what searching needs (resourceType, id, url,
code, type, base, expression, target, component) so the file embedded in the
server stays small. Every parameter is kept, in the source order. The output
is a Bundle of type collection, minified, one entry per line (diffs stay
readable when the source changes).

Usage: search_params.py SOURCE.json [OUTPUT.json]   (default output: stdout)
"""
import json
import sys

KEPT = ("resourceType", "id", "url", "code", "type", "base", "expression", "target")


def reduce(param):
    out = {key: param[key] for key in KEPT if key in param}
    if "component" in param:
        out["component"] = [
            {"definition": c["definition"], "expression": c["expression"]}
            for c in param["component"]
        ]
    return out


def main():
    source = json.load(open(sys.argv[1], encoding="utf-8"))
    params = [
        e["resource"]
        for e in source["entry"]
        if e["resource"]["resourceType"] == "SearchParameter"
    ]
    lines = [
        json.dumps({"resource": reduce(p)}, ensure_ascii=False, separators=(",", ":"))
        for p in params
    ]
    text = '{"resourceType":"Bundle","type":"collection","entry":[\n'
    text += ",\n".join(lines) + "\n]}\n"
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    print(f"{len(params)} search parameters", file=sys.stderr)


if __name__ == "__main__":
    main()
