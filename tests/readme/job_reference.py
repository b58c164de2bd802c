#!/usr/bin/env python3
"""docs/job-reference.md and docs/job-schema.json: current (what `symsweep help job --markdown`
and `--schema` print now, from the tables the parser reads with, the same bytes), complete (every
section `symsweep help job` lists and every probe `symsweep help probes` lists), and right (every
committed job file validates against the schema; files with an unknown key, a key of another
kind, a wrong type or a setting out of range do not).

usage: job_reference.py SYMSWEEP SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys

import yaml

EXE, SRC = sys.argv[1], sys.argv[2]
fail = []

# 1. current
for name, flag in (("job-reference.md", "--markdown"), ("job-schema.json", "--schema")):
    now = subprocess.run([EXE, "help", "job", flag], capture_output=True, text=True, check=True).stdout
    if now != open(os.path.join(SRC, "docs", name)).read():
        fail.append("docs/%s is not what `symsweep help job %s` prints now: regenerate it with\n"
                    "  build/symsweep help job %s > docs/%s" % (name, flag, flag, name))
schema = json.load(open(os.path.join(SRC, "docs", "job-schema.json")))

# 2. complete: the sections the program lists, and its probes
listing = subprocess.run([EXE, "help", "job"], capture_output=True, text=True, check=True).stdout
sections = {l.split()[0] for l in listing.splitlines()[1:] if re.match(r"^  [a-z_]+ ", l)}
if sections | {"name"} != set(schema["properties"]):
    fail.append("top level: the program has %s, the schema %s" % (sorted(sections), sorted(schema["properties"])))
for sec in sorted(sections - {"sweep", "probes", "seeds"}):
    text = subprocess.run([EXE, "help", "job", sec], capture_output=True, text=True, check=True).stdout
    keys = {m.group(1) for m in re.finditer(r"^  ([a-z_0-9]+) ", text.split("\n\n")[1], re.M)}
    if keys != set(schema["properties"][sec]["properties"]):
        fail.append("%s: help job lists %s, the schema %s" % (sec, sorted(keys), sorted(schema["properties"][sec]["properties"])))
bad = subprocess.run([EXE, "help", "job", "trian"], capture_output=True, text=True)
if bad.returncode != 2 or "no section 'trian'" not in bad.stderr:
    fail.append("help job trian: exit %d, %r (expected 2 and \"no section 'trian'\")" % (bad.returncode, bad.stderr))
# every section the overview lists has its own help (sweep and probes included)
for sec in ("seeds", "data", "model", "regularizer", "train", "record", "sweep", "probes"):
    r = subprocess.run([EXE, "help", "job", sec], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        fail.append("help job %s: exit %d, %r" % (sec, r.returncode, r.stderr.strip()))
sweep_help = subprocess.run([EXE, "help", "job", "sweep"], capture_output=True, text=True).stdout
for key in ("train.lr", "model.init.bias.kind", "data.standardize"):
    if key not in sweep_help.split():
        fail.append("help job sweep does not list %s" % key)
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
    for d in ("jobs", "jobs/real", "jobs/seeds", "tests/analysis", "tests/sweep/variants", "bench/jobs"):
        full = os.path.join(SRC, d)
        if not os.path.isdir(full):  # jobs/seeds: the seeds' studies (issue 26)
            continue
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
                       ("a missing section", lambda j: j.pop("train")),
                       ("a key of another kind", lambda j: j["train"].update(momentum=0.5)),
                       ("a required key missing for its kind", lambda j: j["data"].pop("samples")),
                       ("a list too long", lambda j: j["model"].update(widths=[1] * 40)),
                       ("a swept value of the wrong type", lambda j: j.setdefault("sweep", {}).update({"train.lr": ["fast"]})),
                       ("a sweep of an unknown setting", lambda j: j.setdefault("sweep", {}).update({"train.lrr": [0.1]})),
                       ("a sweep of a job-wide section", lambda j: j.setdefault("sweep", {}).update({"record.loss_every": [5]}))):
        j = json.loads(json.dumps(base))
        edit(j)
        if not list(v.iter_errors(j)):
            fail.append("a job with %s validates" % what)
    print("job_reference: %d job files validate; 11 broken ones do not" % len(files))

for f in fail:
    print("FAIL:", f)
print("job_reference: %s" % ("ok" if not fail else "%d problems" % len(fail)))
sys.exit(1 if fail else 0)
