#!/usr/bin/env python3
"""Generate the job-file reference (docs/job-reference.md) and a JSON Schema for editors
(docs/job-schema.json, for YAML language servers: `# yaml-language-server: $schema=...`).

The sections' settings are listed here (the parser's key lists in src/sweep/job.c are checked
against them by tests/readme/job_reference.py); every probe's settings, ranges and defaults
come from the program itself (`symsweep help probes NAME`), so they cannot drift.

usage: scripts/job_schema.py SYMSWEEP [OUT_DIR]     (default OUT_DIR: docs)
"""
import json
import os
import re
import subprocess
import sys

ACT = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"]
NUM = {"type": "number"}
POS = {"type": "number", "exclusiveMinimum": 0}
NONNEG = {"type": "number", "minimum": 0}
INT1 = {"type": "integer", "minimum": 1}
BOOL = {"type": "boolean"}
WIDTHS = {"type": "array", "items": INT1, "minItems": 2}


def prop(schema, doc, **extra):
    out = dict(schema)
    out["description"] = doc
    out.update(extra)
    return out


# settings: (schema, doc); "kinds" says for which kinds of the section a key applies
SECTIONS = {
    "data": ("the training data (one set per seed, or your own file)", {
        "kind": (prop({"enum": ["teacher_linear", "subspace", "teacher_mlp", "hdf5"]},
                      "generator, or hdf5 for your data"), "all"),
        "samples": (prop(INT1, "number of samples (at most 100,000,000)"), "teacher_linear, subspace, teacher_mlp"),
        "input": (prop(INT1, "input width"), "teacher_linear"),
        "output": (prop(INT1, "output width"), "teacher_linear"),
        "dim": (prop(INT1, "ambient dimension"), "subspace"),
        "rank": (prop(INT1, "dimension of the subspace the points lie near"), "subspace"),
        "noise": (prop(NONNEG, "noise standard deviation", default=0), "teacher_linear, subspace, teacher_mlp"),
        "widths": (prop(WIDTHS, "the teacher's widths [n0, ..., nL]"), "teacher_mlp"),
        "activation": (prop({"enum": ACT}, "the teacher's hidden activation", default="tanh"), "teacher_mlp"),
        "bias": (prop(BOOL, "the teacher has biases", default=True), "teacher_mlp"),
        "seed": (prop({"type": "integer", "minimum": 0, "maximum": 4503599627370496},
                      "draw the data from this seed for every run (default: each run's own seed)"),
                 "teacher_linear, subspace, teacher_mlp"),
        "file": (prop({"type": "string"}, "HDF5 file (relative to the job file)"), "hdf5"),
        "x": (prop({"type": "string"}, "inputs dataset [samples, features]", default="X"), "hdf5"),
        "y": (prop({"type": "string"}, "targets dataset; none: the inputs (autoencoders)"), "hdf5"),
    }),
    "model": ("the network", {
        "kind": (prop({"enum": ["mlp", "autoencoder"]}, "multilayer perceptron or autoencoder"), "all"),
        "widths": (prop(WIDTHS, "layer widths [n0, ..., nL]"), "mlp"),
        "activation": (prop({"anyOf": [{"enum": ACT}, {"type": "array", "items": {"enum": ACT}}]},
                            "hidden activation: one name, or one per hidden layer", default="relu"), "all"),
        "output_activation": (prop({"enum": ACT}, "activation of the last layer", default="linear"), "all"),
        "bias": (prop(BOOL, "layers have biases", default=False), "all"),
        "leaky_slope": (prop(NONNEG, "leaky_relu's slope below zero", default=0.01), "all"),
        "init": (prop({"type": "object", "properties": {
            "kind": {"enum": ["normal", "uniform", "file"], "default": "normal"},
            "scale": POS,
            "bias": {"type": "object", "properties": {"kind": {"enum": ["zero", "normal", "uniform"]},
                                                       "scale": NONNEG}, "additionalProperties": False},
            "file": {"type": "string"}, "run": {"type": "integer", "minimum": 0},
            "group": {"type": "string"}}, "additionalProperties": False},
            "initial weights: normal or uniform (scale/sqrt(fan_in)), random biases, or from a file "
            "(another run's weights)"), "all"),
        "input": (prop(INT1, "input (and output) width"), "autoencoder"),
        "latent": (prop(INT1, "latent width"), "autoencoder"),
        "hidden": (prop({"type": "array", "items": INT1}, "encoder hidden widths", default=[]), "autoencoder"),
        "decoder_hidden": (prop({"type": "array", "items": INT1}, "decoder hidden widths (default: hidden reversed)"), "autoencoder"),
        "latent_activation": (prop({"enum": ACT}, "activation at the latent layer", default="linear"), "autoencoder"),
        "tied": (prop(BOOL, "decoder layers are the transposes of the encoder's", default=False), "autoencoder"),
    }),
    "regularizer": ("the penalty added to the mean squared error", {
        "kind": (prop({"enum": ["none", "frobenius", "l1", "lp", "schatten", "jacobian"]},
                      "penalty", default="none"), "all"),
        "lambda": (prop(NONNEG, "weight of the penalty (all layers)"), "all but none"),
        "lambda_encoder": (prop(NONNEG, "weight on the encoder's layers (autoencoders)"), "frobenius, l1, lp, schatten"),
        "lambda_decoder": (prop(NONNEG, "weight on the decoder's layers (autoencoders)"), "frobenius, l1, lp, schatten"),
        "p": (prop({"anyOf": [{"type": "number", "minimum": 1}, {"const": "inf"}]},
                   "the p of lp, schatten (inf: spectral) or jacobian's lp norm"), "lp, schatten, jacobian"),
        "norm": (prop({"enum": ["frobenius", "lp"]}, "the norm of the Jacobian"), "jacobian"),
    }),
    "train": ("the optimizer", {
        "optimizer": (prop({"enum": ["gd", "sgd", "adam"]}, "update rule (torch.optim's)"), "all"),
        "lr": (prop(POS, "learning rate"), "all"),
        "epochs": (prop(INT1, "passes over the data"), "all"),
        "batch_size": (prop(INT1, "minibatch size (default: full batch)"), "sgd, adam"),
        "momentum": (prop({"type": "number", "minimum": 0, "exclusiveMaximum": 1}, "SGD momentum", default=0), "sgd"),
        "beta1": (prop({"type": "number", "minimum": 0, "exclusiveMaximum": 1}, "Adam beta1", default=0.9), "adam"),
        "beta2": (prop({"type": "number", "minimum": 0, "exclusiveMaximum": 1}, "Adam beta2", default=0.999), "adam"),
        "eps": (prop(POS, "Adam epsilon", default=1e-8), "adam"),
        "proximal": (prop({"anyOf": [BOOL, {"const": "fista"}]},
                          "proximal steps for l1 / frobenius (fista: accelerated, gd only)", default=False), "all"),
        "project_orbit": (prop({"enum": ["none", "auto", "gl", "diagonal", "so"]},
                               "remove each step gradient's component along the hidden layers' orbit "
                               "(auto: gl for linear, diagonal for relu)", default="none"), "all"),
    }),
    "record": ("what is kept of training", {
        "loss_every": (prop(INT1, "record the objective every k epochs", default=10), "all"),
        "weights": (prop({"enum": ["final", "initial_and_final", "none"]}, "weights kept", default="final"), "all"),
    }),
}


def probe_settings(exe):
    """{probe: (doc, {setting: (schema, doc, type text)})} from `symsweep help probes`."""
    listing = subprocess.run([exe, "help", "probes"], capture_output=True, text=True, check=True).stdout
    names = [l.split()[0] for l in listing.splitlines()[1:] if re.match(r"^  [a-z_]+ ", l)]
    out = {}
    for name in names:
        text = subprocess.run([exe, "help", "probes", name], capture_output=True, text=True,
                              check=True).stdout
        doc = text.splitlines()[0].split(": ", 1)[1]
        settings, cur = {}, None
        for line in text.splitlines()[1:]:
            m = re.match(r"^  ([a-z_]+) +(.*)$", line)
            t = re.match(r"^ {21}(.*)$", line)
            if m:
                cur = m.group(1)
                settings[cur] = [m.group(2), ""]
            elif t and cur:
                settings[cur][1] += (" " if settings[cur][1] else "") + t.group(1)
        for k in ("team", "team_memory_mb"):  # one line of text with the default in it
            if k in settings:
                d, ty = settings[k]
                whole = (d + " " + ty).strip()
                m = re.match(r"^(.*?);? default (\S+)$", whole)
                settings[k] = [m.group(1), ("integer 1..4096 or auto" if k == "team" else
                                            "integer >= 16") + ", default " + m.group(2)]
        out[name] = (doc, {k: (typed(k, d, ty), d, ty) for k, (d, ty) in settings.items()})
    return out


def number(s):
    return float("inf") if s == "inf" else (int(s) if re.fullmatch(r"-?\d+", s) else float(s))


def typed(key, doc, ty):
    """A setting's JSON Schema from its type line ("integer 1..1000, default 5", ...)."""
    m = re.match(r"^integer (-?\d+)\.\.(-?\d+), default (-?\d+)$", ty)
    if m:
        return {"type": "integer", "minimum": int(m.group(1)), "maximum": int(m.group(2)),
                "default": int(m.group(3))}
    m = re.match(r"^number (>=?) (\S+)(?: and (<=?) (\S+))?, default (\S+)$", ty)
    if m:
        s = {"type": "number", ("minimum" if m.group(1) == ">=" else "exclusiveMinimum"): number(m.group(2))}
        if m.group(3):
            s["maximum" if m.group(3) == "<=" else "exclusiveMaximum"] = number(m.group(4))
        s["default"] = number(m.group(5))
        return s
    m = re.match(r"^true or false, default (true|false)$", ty)
    if m:
        return {"type": "boolean", "default": m.group(1) == "true"}
    m = re.match(r"^(?:one of )?(.*), default (\S+)$", ty)
    if m and not m.group(1).startswith(("integer", "number", "list")):
        # "one of a, b, c", or with aliases "true (= random), false, random or last_layer"
        vals = [re.sub(r"\s*\(= [^)]*\)", "", v).strip()
                for v in re.split(r", | or ", m.group(1))]
        word = {"false": False, "true": True}
        return {"enum": [word.get(v, v) for v in vals], "default": word.get(m.group(2), m.group(2))}
    if ty.startswith("list of group families"):
        return {"type": "array", "items": {"type": "string"}}
    if ty.startswith("list of up to"):
        return {"type": "array", "items": {"anyOf": [{"type": "number"}, {"const": "inf"}]}}
    if key == "team":
        return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 4096}, {"const": "auto"}], "default": 1}
    m = re.search(r"default (\d+)$", ty)
    if key == "team_memory_mb" and m:
        return {"type": "integer", "minimum": 16, "default": int(m.group(1))}
    raise SystemExit("job_schema: probe setting %s: type line not understood: %r" % (key, ty))


def schema(probes):
    sections = {}
    for sec, (doc, keys) in SECTIONS.items():
        sections[sec] = {"type": "object", "description": doc, "additionalProperties": False,
                         "properties": {k: dict(s, **({"x-kinds": kinds} if kinds != "all" else {}))
                                        for k, (s, kinds) in keys.items()}}
    pr = {}
    for name, (doc, settings) in probes.items():
        pr[name] = {"description": doc, "anyOf": [  # `NAME:` alone (null) takes the defaults
            {"type": "object", "additionalProperties": False,
             "properties": {k: dict(s, description=d) for k, (s, d, _) in settings.items()}},
            {"type": "null"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "symsweep-job.schema.json",
        "title": "symsweep job file",
        "description": "Generated by scripts/job_schema.py from the parser's settings and "
                       "`symsweep help probes`; docs/job-reference.md is the same as text.",
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "model", "train"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9._-]*$",
                     "description": "the job's name (default output NAME.h5)"},
            "seeds": {"description": "a list of seeds, or {count, base}",
                      "anyOf": [{"type": "array", "items": {"type": "integer", "minimum": 0}},
                                {"type": "object", "additionalProperties": False,
                                 "properties": {"count": INT1, "base": {"type": "integer", "minimum": 0}}}]},
            **sections,
            "sweep": {"type": "object", "description": "axes: a dotted path (or a section) and its list of "
                      "values or range(...)/linspace(...)/logspace(...); zip: groups varied together",
                      "propertyNames": {"pattern": "^(zip|(data|model|regularizer|train)(\\.[A-Za-z0-9_]+)*|probes\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+)$"}},
            "probes": {"type": "object", "description": "probes run on each trained network; a plug-in: "
                       "NAME: {plugin: FILE.so, ...}",
                       "properties": pr,
                       "additionalProperties": {"type": "object", "required": ["plugin"],
                                                "properties": {"plugin": {"type": "string"}}}},
        },
    }


def reference(probes):
    md = ["# Job file reference", "",
          "Generated by `scripts/job_schema.py` from the parser's settings and `symsweep help probes`",
          "(do not edit: `tests/readme/job_reference.py` checks it is current). `docs/job-files.md`",
          "explains them with examples and `docs/probes.md` the probes; `docs/job-schema.json` is the same as a",
          "JSON Schema for editors (YAML language servers: put",
          "`# yaml-language-server: $schema=PATH/docs/job-schema.json` first in a job file).", "",
          "## Top level", "",
          "| key | meaning |", "|---|---|",
          "| `name` | the job's name: letters, digits, `.`, `_`, `-` (default: the file's name); the default output is NAME.h5 |",
          "| `seeds` | a list of seeds, or `{count: N, base: B}` (default one seed, 0) |",
          "| `data`, `model`, `train` | required sections (below) |",
          "| `regularizer`, `record` | optional sections (below) |",
          "| `sweep` | axes: a dotted path under data, model, regularizer or train (or a whole section), or a probe's setting `probes.NAME.SETTING`, and its values: a list, `range(a, b, step)`, `linspace(a, b, n)` or `logspace(a, b, n)`; `zip:` groups of axes varied together |",
          "| `probes` | the probes (below), and plug-ins: `NAME: {plugin: FILE.so, ...}` |", ""]
    for sec, (doc, keys) in SECTIONS.items():
        md += ["## `%s`: %s" % (sec, doc), "", "| key | applies to | type | default | meaning |",
               "|---|---|---|---|---|"]
        for k, (s, kinds) in keys.items():
            md.append("| `%s` | %s | %s | %s | %s |" % (k, kinds, type_text(s), default_text(s),
                                                        s["description"]))
        md.append("")
    md += ["## `probes`", ""]
    for name, (doc, settings) in probes.items():
        md += ["### `%s`" % name, "", doc, ""]
        if settings:
            md += ["| setting | type and default | meaning |", "|---|---|---|"]
            md += ["| `%s` | %s | %s |" % (k, ty.replace("|", "\\|"), d.replace("|", "\\|"))
                   for k, (_, d, ty) in settings.items()]
        else:
            md.append("No settings: `%s: {}`." % name)
        md.append("")
    return "\n".join(md)


def type_text(s):
    if "enum" in s:
        return "one of " + ", ".join("`%s`" % v for v in s["enum"])
    if "anyOf" in s:
        return " or ".join(type_text(a) for a in s["anyOf"])
    if "const" in s:
        return "`%s`" % s["const"]
    t = s.get("type", "")
    if t == "array":
        return "list of (%s)" % type_text(s.get("items", {}))
    bounds = []
    for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if k in s:
            bounds.append("%s %s" % (op, s[k]))
    return (t + " " + " and ".join(bounds)).strip()


def default_text(s):
    if "default" not in s:
        return ""
    v = s["default"]
    return "`%s`" % (json.dumps(v) if isinstance(v, (bool, list)) else v)


def main():
    exe = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "docs")
    probes = probe_settings(exe)
    with open(os.path.join(out, "job-schema.json"), "w") as fh:
        json.dump(schema(probes), fh, indent=1, sort_keys=False)
        fh.write("\n")
    with open(os.path.join(out, "job-reference.md"), "w") as fh:
        fh.write(reference(probes) + "\n")


if __name__ == "__main__":
    main()
