#!/usr/bin/env python3
"""Prints data/fhir-r4/required-codes.txt from R4's profiles-types.json,
profiles-resources.json and valuesets.json.

One line per element of type `code` whose binding is required and whose value
set R4 enumerates: the element's owner as in element-shapes.txt (a type, a
resource or a backbone path: "Patient", "Patient.contact"), its name, the
value set's url, then every code the value set holds. A value set is
enumerated when each include lists its concepts or names a complete
CodeSystem of valuesets.json (its concepts at every depth), or another value
set enumerated so; one with filters, excludes or codes from elsewhere (BCP-13
media types, BCP-47 languages) is left out, and its elements are not checked,
and so are FHIR versions (UNCHECKED).
The structure check of every write (protocols/fhir/structure.cpp) refuses a
code that is not in its element's list, as R4's required bindings demand.
"""
import json
import sys

# FHIR's versions: a list that grows after R4 (the package itself holds a
# CapabilityStatement of 4.3.0), which tools that write R4 resources
# about later versions use; not checked.
UNCHECKED = {"http://hl7.org/fhir/ValueSet/FHIR-version"}

profiles = sys.argv[1:-1]
valuesets_path = sys.argv[-1]

value_sets = {}
code_systems = {}
for entry in json.load(open(valuesets_path))["entry"]:
    r = entry["resource"]
    if r["resourceType"] == "ValueSet":
        value_sets[r["url"]] = r
    elif r["resourceType"] == "CodeSystem":
        code_systems[r["url"]] = r


def concepts(cs):
    out = []
    stack = list(cs.get("concept", []))
    while stack:
        c = stack.pop(0)
        out.append(c["code"])
        stack[0:0] = c.get("concept", [])
    return out


def expand(url, seen=()):
    url = url.split("|")[0]
    vs = value_sets.get(url)
    if vs is None or url in seen or "compose" not in vs:
        return None
    compose = vs["compose"]
    if compose.get("exclude"):
        return None
    codes = []
    for inc in compose.get("include", []):
        if inc.get("filter"):
            return None
        if inc.get("valueSet"):
            for other in inc["valueSet"]:
                more = expand(other, seen + (url,))
                if more is None:
                    return None
                codes += more
            if "system" not in inc:
                continue
        if "concept" in inc:
            codes += [c["code"] for c in inc["concept"]]
        elif "system" in inc:
            cs = code_systems.get(inc["system"])
            if cs is None or cs.get("content") != "complete":
                return None
            codes += concepts(cs)
    unique = []
    for c in codes:
        if c not in unique:
            unique.append(c)
    return unique or None


lines = []
for path in profiles:
    for entry in json.load(open(path))["entry"]:
        sd = entry["resource"]
        if sd["resourceType"] != "StructureDefinition" or "snapshot" not in sd:
            continue
        if sd.get("kind") not in ("complex-type", "resource") or sd.get("derivation") == "constraint":
            continue
        name = sd["type"]
        for el in sd["snapshot"]["element"]:
            types = el.get("type", [])
            if len(types) != 1 or types[0].get("code") != "code" or el["path"].endswith("[x]"):
                continue
            binding = el.get("binding", {})
            if binding.get("strength") != "required" or "valueSet" not in binding:
                continue
            if el.get("max") == "0":
                continue
            if binding["valueSet"].split("|")[0] in UNCHECKED:
                continue
            codes = expand(binding["valueSet"])
            if not codes:
                continue
            parts = el["path"].split(".")
            parts[0] = name
            owner, element = ".".join(parts[:-1]), parts[-1]
            lines.append(" ".join([owner, element, binding["valueSet"].split("|")[0]] + codes))

for line in sorted(set(lines)):
    print(line)
