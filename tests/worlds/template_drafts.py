"""Shared template drafts for the tests of the template rules and of Meta's create/edit bodies:
one draft that uses every part a utility template may have and keeps every rule."""
from __future__ import annotations

from plugin.domain.template_drafts import Button, ButtonKind, Category, HeaderKind, TemplateDraft

# A text header, numbered variables with samples, a footer, a URL button with a variable and
# a phone button: each part Meta checks, all of them valid.
ORDER_UPDATE = TemplateDraft(
    name="order_update", language="en", category=Category.UTILITY,
    header_kind=HeaderKind.TEXT, header_text="Order {{1}}", header_sample="#1001",
    body="Hi {{1}}, your order {{2}} is on its way.", samples={"1": "Ana", "2": "#1001"},
    footer="Reply STOP to opt out",
    buttons=(Button(kind=ButtonKind.URL, text="Track it", url="https://shop.example/t/{{1}}",
                    url_sample="abc123"),
             Button(kind=ButtonKind.PHONE, text="Call us", phone="+351 912 345 678")))
