"""The menu the demo serves (`prepare` loads it; running it again updates prices and texts in place), and
what a line of it costs."""

from decimal import Decimal

from .models import Pizza

MENU = [
    ("margherita", "Margherita", "Tomato, mozzarella, basil and a drizzle of olive oil.", "8.50", "10.50", "12.50"),
    ("marinara", "Marinara", "Tomato, garlic, oregano, olive oil. No cheese, all flavour.", "7.50", "9.00", "11.00"),
    ("diavola", "Diavola", "Tomato, mozzarella, spicy salami and chilli flakes.", "10.00", "12.50", "14.50"),
    ("quattro-formaggi", "Quattro formaggi", "Mozzarella, gorgonzola, parmesan and fontina.", "10.50", "13.00", "15.00"),
    ("funghi", "Funghi", "Tomato, mozzarella, roasted mushrooms and thyme.", "9.50", "11.50", "13.50"),
    ("capricciosa", "Capricciosa", "Tomato, mozzarella, ham, artichokes, mushrooms and olives.", "11.00", "13.50", "15.50"),
    ("ortolana", "Ortolana", "Tomato, mozzarella, grilled courgette, aubergine and peppers.", "10.00", "12.00", "14.00"),
    ("hawaii", "Hawaii", "Tomato, mozzarella, ham and pineapple. We do not judge.", "9.50", "11.50", "13.50"),
]


def load_menu() -> int:
    for position, (slug, name, description, small, medium, large) in enumerate(MENU):
        Pizza.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "price_small": Decimal(small),
                "price_medium": Decimal(medium),
                "price_large": Decimal(large),
                "position": position,
                "is_available": True,
            },
        )
    return len(MENU)


def quote(*, pizza: Pizza, size: str, quantity: int) -> tuple[Decimal, Decimal]:
    """The unit price and the total of `quantity` pizzas of one size."""
    unit_price = pizza.price_for(size)
    return unit_price, unit_price * quantity
