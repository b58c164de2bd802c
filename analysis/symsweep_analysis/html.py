"""report.html: the report as one self-contained HTML file (figures inline as data: URIs), from
the Markdown the report writes.  Only what that Markdown uses is understood: headings, pipe
tables, images, `code` and paragraphs.  No dependency beyond the standard library."""
import base64
import html
import os
import re

STYLE = """body{font-family:sans-serif;max-width:62em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;display:block;margin:0.5em 0 1.5em}
code{background:#f3f3f3;padding:0 0.2em}"""


def _inline(text):
    out = []
    for k, part in enumerate(re.split(r"`([^`]*)`", text)):
        out.append("<code>%s</code>" % html.escape(part) if k % 2 else html.escape(part))
    return "".join(out)


def _cells(line):
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.strip().replace("\\|", "|") for c in cells]


def _image(alt, src, base):
    path = os.path.join(base, src)
    kind = "svg+xml" if src.endswith(".svg") else "png"
    with open(path, "rb") as fh:
        data = base64.b64encode(fh.read()).decode("ascii")
    return '<img alt="%s" src="data:image/%s;base64,%s">' % (html.escape(alt), kind, data)


def markdown_to_html(md, base, title):
    """The report's Markdown as one HTML page; images are read from paths relative to base."""
    body, para, lines = [], [], md.split("\n")

    def flush():
        if para:
            body.append("<p>%s</p>" % _inline(" ".join(para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(#{1,4}) (.*)$", line)
        img = re.match(r"^!\[([^\]]*)\]\(([^)]+)\)$", line.strip())
        if m:
            flush()
            n = len(m.group(1))
            body.append("<h%d>%s</h%d>" % (n, _inline(m.group(2)), n))
        elif img:
            flush()
            body.append(_image(img.group(1), img.group(2), base))
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-|: ]+\|$", lines[i + 1]):
            flush()
            rows = ["<tr>%s</tr>" % "".join("<th>%s</th>" % _inline(c) for c in _cells(line))]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append("<tr>%s</tr>" % "".join("<td>%s</td>" % _inline(c) for c in _cells(lines[i])))
                i += 1
            body.append("<table>%s</table>" % "".join(rows))
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>%s</style></head>\n<body>\n%s\n</body></html>\n"
            % (html.escape(title), STYLE, "\n".join(body)))
