"""The newsletter as an e-mail: an HTML body with inline CSS (what mail clients keep), the charts as PNG
images attached inline (``cid:``; mail clients do not show SVG), and a plain-text alternative.

:func:`newsletter_email` returns a standard :class:`email.message.EmailMessage` (``multipart/alternative``:
``text/plain``, then ``multipart/related`` with the HTML and its images) without sender, recipients, date or
message id, which the sending system adds; :func:`write_email` saves it as an ``.eml`` file any mail client
opens.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import cast

from iprisk.i18n import Text
from iprisk.reports.document import Document
from iprisk.reports.fonts import check_glyphs, report_fonts
from iprisk.reports.html import HTML_LANG, body_items, environment
from iprisk.reports.output import atomic_write_bytes
from iprisk.reports.pdf import page_text
from iprisk.reports.plain import render_text
from iprisk.reports.render import to_png

#: Inline styles of the e-mail body, by element (a mail client drops style sheets).
_FONT = "font-family:'{font}',Arial,'Microsoft YaHei',sans-serif;"
STYLES = {
    "body": "margin:0;padding:0;background:#eef1f4;",
    "outer": "background:#eef1f4;padding:16px 0;",
    "page": "background:#ffffff;border-collapse:collapse;",
    "cell": "padding:24px 28px;{font}color:#1a1a1a;font-size:14px;line-height:1.5;",
    "kicker": "margin:0 0 4px 0;color:#1f4e79;font-weight:bold;font-size:13px;",
    "h1": "margin:0 0 10px 0;color:#1f4e79;font-size:26px;line-height:1.2;",
    "lead": "margin:0 0 14px 0;font-size:15px;",
    "h2": "margin:22px 0 8px 0;color:#1f4e79;font-size:19px;border-top:1px solid #d0d7de;padding-top:12px;",
    "h3": "margin:16px 0 6px 0;color:#1f4e79;font-size:16px;",
    "p": "margin:0 0 10px 0;",
    "ul": "margin:0 0 10px 0;padding-left:20px;",
    "li": "margin:0 0 6px 0;",
    "caption": "margin:10px 0 4px 0;font-weight:bold;font-size:13px;",
    "table": "border-collapse:collapse;width:100%;font-size:12px;",
    "th": "border-bottom:1px solid #1f4e79;padding:3px 5px;vertical-align:bottom;",
    "td": "border-bottom:1px solid #e3e6ea;padding:3px 5px;vertical-align:top;",
    "source": "margin:2px 0 12px 0;font-size:11px;color:#666666;",
    "img": "display:block;width:100%;max-width:600px;height:auto;border:0;",
    "footer": "margin:20px 0 0 0;font-size:11px;color:#666666;border-top:1px solid #d0d7de;padding-top:8px;",
}


def email_html(doc: Document) -> tuple[str, list[tuple[str, bytes]]]:
    """The HTML body (inline CSS) and its images: ``(content id, PNG bytes)`` per chart."""
    text = Text(doc.locale)
    body, _ = body_items(doc, text, svg=False)
    font = report_fonts()[0].family
    styles = {k: v.replace("{font}", _FONT.format(font=font)) for k, v in STYLES.items()}
    html = (
        environment(text)
        .get_template("email.html.j2")
        .render(
            doc=doc,
            lang=HTML_LANG[doc.locale],
            title_text=doc.title.plain(text),
            s=styles,
            body=body,
            footer=text.gettext(
                "Data snapshot {snapshot} · iprisk {version}",
                snapshot=doc.meta.snapshot,
                version=doc.meta.code_version,
            ),
        )
    )
    images = [(item.anchor, to_png(item.block.chart)) for item in body if item.kind == "figure"]
    return html, images


def newsletter_email(doc: Document) -> EmailMessage:
    """The document as an e-mail: plain text and HTML alternatives, the charts inline."""
    text = Text(doc.locale)
    html, images = email_html(doc)
    plain = render_text(doc)
    check_glyphs([*page_text(html), ("plain text", plain)])
    msg = EmailMessage()
    msg["Subject"] = doc.title.plain(text)
    msg["Content-Language"] = HTML_LANG[doc.locale]
    msg.set_content(plain, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = cast(EmailMessage, msg.get_payload()[1])  # type: ignore[index]
    for cid, png in images:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png")
    return msg


def write_email(doc: Document, path: str | Path) -> Path:
    """Save the e-mail as an ``.eml`` file (atomically)."""
    return atomic_write_bytes(path, newsletter_email(doc).as_bytes(policy=SMTP))
