"""Marketing metadata: schema.org JSON-LD for products, and sitemap entries."""
from __future__ import annotations


from catalogue.browse import Picture
from catalogue.models import Product
from catalogue.services import Availability


def product_jsonld(product: Product, availability: Availability, pictures: list[Picture], *, url: str,
                   image_url, unit_url: str) -> dict:
    """Return a schema.org Product with an Offer, for a script type="application/ld+json" block."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product" if product.kind == "goods" else "Service",
        "name": product.title,
        "description": product.summary or product.description[:300],
        "sku": product.sku,
        "url": url,
        "category": product.category.name,
        "brand": {"@type": "Organization", "name": product.unit.name, "url": unit_url},
        "offers": {
            "@type": "Offer",
            "url": url,
            "priceCurrency": "NOK",
            "price": f"{product.price_ore // 100}.{product.price_ore % 100:02d}",
            "availability": availability.schema_org,
            "itemCondition": "https://schema.org/NewCondition",
            "seller": {"@type": "Organization", "name": product.unit.name, "url": unit_url},
        },
    }
    if product.kind == "service":
        data["provider"] = data.pop("brand")
        data.pop("sku")
        data["offers"].pop("itemCondition")
    if pictures:
        data["image"] = [image_url(p) for p in pictures]
    return data
