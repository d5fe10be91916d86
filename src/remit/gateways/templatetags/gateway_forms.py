"""`{% card_entry %}`, the gateway's card entry inside a face's form, and
`{% card_entry_assets %}`, its stylesheet and scripts for a face's page head."""

from __future__ import annotations

from django import template

from remit.gateways.card_entry import card_entry as configured

register = template.Library()


@register.inclusion_tag("gateways/card_entry.html")
def card_entry(
    *,
    save_url: str,
    target: str,
    prefix: str = "card",
    banks: bool = False,
    offer_save: bool = False,
    form_id: str = "",
    button: str = "Add",
) -> dict:
    """The entry: the card goes to the gateway; the token is posted to `save_url` and the
    answer replaces `target` (a CSS selector). `offer_save` shows "Save this card for later
    payments" (unticked: kept only if chosen); without it the method is always saved."""
    entry = configured()
    return {
        "entry": entry,
        "save_url": save_url,
        "target": target,
        "prefix": prefix,
        "banks": banks and entry.banks,
        "offer_save": offer_save,
        "form_id": form_id,
        "button": button,
    }


@register.inclusion_tag("gateways/card_entry_assets.html")
def card_entry_assets() -> dict:
    return {"entry": configured()}
