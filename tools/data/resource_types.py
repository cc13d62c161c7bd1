#!/usr/bin/env python3
"""Prints data/fhir-r4/resource-types.txt from an R4 profiles-resources.json."""
import json
import sys

bundle = json.load(open(sys.argv[1]))
names = sorted(
    e["resource"]["id"]
    for e in bundle["entry"]
    if e["resource"]["resourceType"] == "StructureDefinition"
    and e["resource"].get("kind") == "resource"
    and not e["resource"].get("abstract")
    and e["resource"].get("derivation") == "specialization"
)
print("\n".join(names))
