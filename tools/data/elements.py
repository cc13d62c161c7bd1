#!/usr/bin/env python3
"""Prints data/fhir-r4/elements.txt from an R4 profiles-resources.json.

One line per concrete resource type: the type, then its top-level elements in
definition order (inherited Resource/DomainResource ones first), each followed
by flags: '^' marked isSummary, '!' mandatory (min >= 1). A choice element is
written with its [x] ("value[x]^"). _summary and _elements (protocols/fhir/
elements.hpp) need no more than this.
"""
import json
import sys

bundle = json.load(open(sys.argv[1]))
for entry in bundle["entry"]:
    sd = entry["resource"]
    if (sd["resourceType"] != "StructureDefinition" or sd.get("kind") != "resource"
            or sd.get("abstract") or sd.get("derivation") != "specialization"):
        continue
    words = [sd["id"]]
    for el in sd["snapshot"]["element"]:
        path = el["path"].split(".")
        if len(path) != 2:
            continue
        flags = ("^" if el.get("isSummary") else "") + ("!" if el.get("min", 0) >= 1 else "")
        words.append(path[1] + flags)
    print(" ".join(words))
