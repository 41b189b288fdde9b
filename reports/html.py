"""report.html: a self-contained zh-CN report rendered from a jinja2 template."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def write(data, path) -> None:
    template = _env.get_template("report.html.j2")
    path.write_text(template.render(data=data), encoding="utf-8")
