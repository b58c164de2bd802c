#!/usr/bin/env python3
"""docs/job-reference.md and docs/job-schema.json: current (regenerated from the program, the
same bytes), complete (every key the parser accepts, section by section, read from
src/sweep/job.c's key lists, and every probe setting), and right (every committed job file
validates against the schema; files with an unknown key, a wrong type or a setting out of
range do not).

usage: job_reference.py SYMSWEEP SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXE, SRC = sys.argv[1], sys.argv[2]
fail = []

# 1. current
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "job_schema.py"), EXE, tmp],
                   check=True)
    for name in ("job-reference.md", "job-schema.json"):
        if open(os.path.join(tmp, name)).read() != open(os.path.join(SRC, "docs", name)).read():
            fail.append("docs/%s is not what scripts/job_schema.py makes now: regenerate it" % name)
schema = json.load(open(os.path.join(SRC, "docs", "job-schema.json")))

# 2. complete: the parser's key lists, function by function
job_c = open(os.path.join(SRC, "src", "sweep", "job.c")).read()


def keys_in(function, array):
    body = job_c[job_c.index("static int %s(" % function):]
    body = body[:body.index("\n}\n")]
    m = re.search(r"%s\[\] = \{(.*?)\};" % array, body, re.S)
    return {k for k in re.findall(r'"([a-z_0-9]+)"', m.group(1))}


for section, function, array in (("data", "parse_data", "k_any"), ("model", "parse_model", "k_any"),
                                 ("regularizer", "parse_regularizer", "k_any"),
                                 ("train", "parse_train", "k_any"), ("record", "parse_record", "keys")):
    parser = keys_in(function, array)
    documented = set(schema["properties"][section]["properties"])
    if parser != documented:
        fail.append("%s: the parser takes %s, the reference has %s" % (section, sorted(parser), sorted(documented)))
top = keys_in("parse_document", "keys")
if top != set(schema["properties"]):
    fail.append("top level: parser %s, reference %s" % (sorted(top), sorted(schema["properties"])))
listing = subprocess.run([EXE, "help", "probes"], capture_output=True, text=True, check=True).stdout
probes = [l.split()[0] for l in listing.splitlines()[1:] if re.match(r"^  [a-z_]+ ", l)]
if set(probes) != set(schema["properties"]["probes"]["properties"]):
    fail.append("probes: the program has %s" % probes)

# 3. right: committed jobs validate; broken ones do not (YAML 1.2 numbers, as editors read them)
try:
    import jsonschema
except ImportError:
    print("job_reference: python3-jsonschema missing (scripts/setup.sh installs it): validation skipped")
    jsonschema = None


class Loader(yaml.SafeLoader):
    pass


Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(
    r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)$"),
    list("-+0123456789."))

if jsonschema:
    v = jsonschema.Draft202012Validator(schema)
    files = []
    for d in ("jobs", "tests/analysis", "tests/sweep/variants", "bench/jobs"):
        full = os.path.join(SRC, d)
        files += [os.path.join(full, f) for f in sorted(os.listdir(full)) if f.endswith(".yaml")]
    for path in files:
        errs = [e.message for e in v.iter_errors(yaml.load(open(path), Loader=Loader))]
        if errs:
            fail.append("%s does not validate: %s" % (os.path.relpath(path, SRC), errs[:3]))
    base = yaml.load(open(os.path.join(SRC, "jobs", "frontier.yaml")), Loader=Loader)
    for what, edit in (("an unknown key", lambda j: j["train"].update(lrr=0.1)),
                       ("a wrong type", lambda j: j["train"].update(epochs="many")),
                       ("a probe setting out of range", lambda j: j["probes"]["tangent_slice"].update(directions=0)),
                       ("an unknown probe", lambda j: j["probes"].update(fisher={})),
                       ("a missing section", lambda j: j.pop("train"))):
        j = json.loads(json.dumps(base))
        edit(j)
        if not list(v.iter_errors(j)):
            fail.append("a job with %s validates" % what)
    print("job_reference: %d job files validate; 5 broken ones do not" % len(files))

for f in fail:
    print("FAIL:", f)
print("job_reference: %s" % ("ok" if not fail else "%d problems" % len(fail)))
sys.exit(1 if fail else 0)
