#!/usr/bin/env python3
"""Prints data/fhir-r4/element-shapes.txt from R4's profiles-types.json and
profiles-resources.json.

One line per complex data type and resource: its name, then every element
below it in definition order, as its path relative to the type ("contact",
"contact.telecom"), followed by
  '*'         when it repeats (max above 1); prohibited ones (max 0) are left out,
  ':Type'     when its type is a complex data type or a resource (Resource,
              OperationOutcome),
  ':{}'       when it is a backbone element (its own anonymous type),
  ':#path'    when it reuses the backbone element at that path (contentReference),
and nothing more for primitives and choice elements (which keep their "[x]").
id, extension and modifierExtension are left out: every element has the same
ones. FHIRPath Patch (protocols/fhir/fhirpath_patch.cpp) needs no more than
this: which elements repeat, which are choices, and the type to look in next.
"""
import json
import sys

primitives = set()
definitions = []
for path in sys.argv[1:]:
    for entry in json.load(open(path))["entry"]:
        sd = entry["resource"]
        if sd["resourceType"] != "StructureDefinition" or "snapshot" not in sd:
            continue
        if sd.get("kind") == "primitive-type":
            primitives.add(sd["id"])
        elif sd.get("kind") in ("complex-type", "resource"):
            definitions.append(sd)


def marker(element, relative):
    if "contentReference" in element:
        return ":#" + element["contentReference"].split(".", 1)[1]
    if relative.endswith("[x]"):
        return ""
    code = element.get("type", [{}])[0].get("code", "")
    if code in ("BackboneElement", "Element"):
        return ":{}"
    if code in primitives or code.startswith("http://"):  # System types of id, url…
        return ""
    return ":" + code


for sd in definitions:
    words = [sd["id"]]
    root = sd["type"]
    for element in sd["snapshot"]["element"][1:]:
        relative = element["path"][len(root) + 1:]
        if relative.split(".")[-1] in ("id", "extension", "modifierExtension"):
            continue
        if element.get("max") == "0":  # prohibited by a constraint (SimpleQuantity.comparator)
            continue
        repeats = "*" if element.get("max") not in ("0", "1") else ""
        words.append(relative + repeats + marker(element, relative))
    print(" ".join(words))
