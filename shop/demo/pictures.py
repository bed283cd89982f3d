"""The demo's product pictures: a palette per top-level category and a drawn shape per product type."""
from __future__ import annotations

from dataclasses import dataclass

from catalogue.images import draw_illustration


@dataclass(frozen=True)
class Palette:
    """The colours of one top-level category's pictures."""

    name: str  # the background colour in words, for the alt text
    bg: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]


PALETTES = {
    "mobler": Palette("lys beige", (236, 225, 206), (112, 76, 46), (184, 138, 92)),
    "hage-og-uterom": Palette("lys grønn", (214, 232, 208), (58, 96, 62), (132, 170, 112)),
    "kjokken-og-servering": Palette("ferskenfarget", (247, 226, 206), (140, 78, 50), (214, 150, 108)),
    "tekstil": Palette("lys blå", (220, 228, 243), (48, 68, 118), (122, 144, 196)),
    "trykk-og-papir": Palette("kremhvit", (246, 241, 222), (58, 60, 72), (204, 78, 62)),
    "metall-og-verktoy": Palette("lys grå", (224, 226, 230), (56, 60, 68), (168, 132, 88)),
    "barn-og-lek": Palette("lys rosa", (250, 226, 226), (168, 68, 80), (238, 180, 72)),
    "mat-og-bakst": Palette("lys gul", (250, 238, 200), (140, 88, 32), (212, 150, 62)),
    "tjenester": Palette("lys turkis", (222, 238, 238), (36, 98, 108), (112, 172, 172)),
}

# What each shape shows, for the alt text.
SHAPE_NAMES = {
    "bench": "en benk", "table": "et bord", "chair": "en stol", "stool": "en krakk", "nightstand": "et nattbord",
    "shelf": "en hylle med bøker og en plante", "box": "en trekasse med lokk", "armchair": "en polstret lenestol",
    "footstool": "en polstret skammel", "lounger": "en solseng", "planter": "en plantekasse med grønne blader",
    "birdhouse": "en fuglekasse", "insecthotel": "et insekthotell", "firepit": "en bålpanne med flammer",
    "grate": "en rund grillrist", "lograck": "et vedstativ med ved", "board": "et skjærebrett med håndtak",
    "utensil": "en sleiv og en stekespade", "mug": "et krus", "bowl": "en skål", "vase": "en vase med kvister",
    "basket": "en flettet kurv med hank", "tray": "et serveringsbrett", "bag": "en veske med hanker",
    "apron": "et forkle", "pillow": "en pute", "blanket": "et sammenbrettet pledd", "folded": "en stabel tekstiler",
    "notebook": "en notatbok", "cards": "et kort og en konvolutt", "poster": "en plakat med fjell og sol",
    "calendar": "en kalender", "axe": "en øks", "spade": "en spade", "candle": "en lysestake med tent lys",
    "lantern": "en lykt", "hooks": "en knaggrekke", "toolbox": "en verktøykasse", "toycar": "en lekebil",
    "pram": "en dukkevogn", "animal": "en elg på hjul", "blocks": "byggeklosser", "chess": "et sjakkbrett",
    "bread": "et brød", "jar": "et glass med lokk", "bottle": "en flaske", "washer": "en vaskemaskin",
    "printer": "en trykkpresse med ark", "wrench": "en fastnøkkel med gnister", "cloche": "et serveringsfat med lokk",
    "saw": "en håndsag",
}


# Shapes are lists of drawing steps, in coordinates from 0 to 1 across the object box, with colours
# named from the palette ("ink", "accent", "shade") or fixed ("paper", "metal", "wood", "flame" …).
Point = tuple[float, float]
Step = tuple[str, tuple, str, float]  # (kind, coordinates, colour, radius or line width)


def R(x0: float, y0: float, x1: float, y1: float, colour: str, radius: float = 0.0) -> Step:
    """A rectangle, rounded by radius (a fraction of its shorter side)."""
    return ("rect", (x0, y0, x1, y1), colour, radius)


def E(x0: float, y0: float, x1: float, y1: float, colour: str) -> Step:
    """An ellipse inside the box."""
    return ("ellipse", (x0, y0, x1, y1), colour, 0)


def P(colour: str, *points: Point) -> Step:
    """A filled polygon."""
    return ("poly", points, colour, 0)


def L(colour: str, width: int, *points: Point) -> Step:
    """A line through the points, width pixels wide."""
    return ("line", points, colour, width)


def A(x0: float, y0: float, x1: float, y1: float, start: float, end: float, colour: str, width: int) -> Step:
    """An arc of the ellipse in the box, from start to end degrees."""
    return ("arc", (x0, y0, x1, y1, start, end), colour, width)


def S(x0: float, y0: float, x1: float, y1: float, start: float, end: float, colour: str) -> Step:
    """A filled slice of the ellipse in the box."""
    return ("pie", (x0, y0, x1, y1, start, end), colour, 0)


def _grid(x0: float, y0: float, x1: float, y1: float, n: int, colour_a: str, colour_b: str) -> list[Step]:
    w, h = (x1 - x0) / n, (y1 - y0) / n
    return [R(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h, colour_a if (i + j) % 2 else colour_b)
            for i in range(n) for j in range(n)]


SHAPES: dict[str, list[Step]] = {
    "bench": [R(0.02, 0.42, 0.98, 0.52, "ink", 0.2), R(0.08, 0.52, 0.15, 0.95, "ink"),
              R(0.85, 0.52, 0.92, 0.95, "ink"), R(0.15, 0.74, 0.85, 0.78, "accent"),
              R(0.04, 0.42, 0.96, 0.445, "accent")],
    "table": [R(0.0, 0.28, 1.0, 0.36, "ink", 0.2), R(0.05, 0.36, 0.95, 0.43, "accent"),
              R(0.05, 0.36, 0.12, 0.95, "ink"), R(0.88, 0.36, 0.95, 0.95, "ink")],
    "chair": [R(0.30, 0.05, 0.36, 0.95, "ink"), R(0.64, 0.05, 0.70, 0.95, "ink"),
              R(0.26, 0.52, 0.74, 0.60, "ink", 0.2), R(0.36, 0.10, 0.64, 0.17, "accent"),
              R(0.36, 0.23, 0.64, 0.29, "accent"), R(0.36, 0.35, 0.64, 0.41, "accent"),
              R(0.36, 0.78, 0.64, 0.81, "accent")],
    "stool": [P("ink", (0.30, 0.38), (0.37, 0.38), (0.25, 0.95), (0.18, 0.95)),
              P("ink", (0.63, 0.38), (0.70, 0.38), (0.82, 0.95), (0.75, 0.95)), R(0.47, 0.38, 0.53, 0.92, "accent"),
              R(0.27, 0.68, 0.73, 0.71, "accent"), R(0.24, 0.29, 0.76, 0.39, "ink", 0.5)],
    "nightstand": [R(0.32, 0.80, 0.36, 0.95, "ink"), R(0.64, 0.80, 0.68, 0.95, "ink"),
                   R(0.28, 0.22, 0.72, 0.82, "ink", 0.05), R(0.32, 0.27, 0.68, 0.44, "accent"),
                   E(0.47, 0.33, 0.53, 0.38, "ink"), R(0.32, 0.50, 0.68, 0.77, "shade"),
                   R(0.36, 0.60, 0.44, 0.77, "paper"), R(0.45, 0.63, 0.52, 0.77, "accent")],
    "shelf": [R(0.22, 0.03, 0.27, 0.97, "ink"), R(0.73, 0.03, 0.78, 0.97, "ink")]
             + [R(0.22, y, 0.78, y + 0.04, "ink") for y in (0.05, 0.30, 0.55, 0.80)]
             + [R(0.30, 0.14, 0.34, 0.30, "accent"), R(0.35, 0.17, 0.39, 0.30, "paper"),
                R(0.40, 0.12, 0.44, 0.30, "accent"), R(0.56, 0.47, 0.66, 0.55, "ink"),
                E(0.52, 0.34, 0.60, 0.49, "leaf"), E(0.60, 0.36, 0.70, 0.49, "leaf"),
                R(0.30, 0.66, 0.36, 0.80, "paper"), R(0.37, 0.64, 0.42, 0.80, "accent"),
                P("accent", (0.55, 0.80), (0.62, 0.66), (0.66, 0.68), (0.60, 0.80))],
    "box": [R(0.15, 0.42, 0.85, 0.92, "ink", 0.03), R(0.12, 0.34, 0.88, 0.43, "accent", 0.2),
            R(0.15, 0.58, 0.85, 0.60, "accent"), R(0.15, 0.75, 0.85, 0.77, "accent"),
            R(0.20, 0.48, 0.30, 0.53, "shade", 0.5), R(0.70, 0.48, 0.80, 0.53, "shade", 0.5)],
    "armchair": [R(0.22, 0.80, 0.27, 0.95, "ink"), R(0.73, 0.80, 0.78, 0.95, "ink"),
                 R(0.24, 0.10, 0.76, 0.62, "accent", 0.25), R(0.18, 0.55, 0.82, 0.82, "accent", 0.2),
                 L("shade", 6, (0.24, 0.66), (0.76, 0.66)), R(0.08, 0.40, 0.26, 0.84, "ink", 0.4),
                 R(0.74, 0.40, 0.92, 0.84, "ink", 0.4)],
    "footstool": [R(0.25, 0.66, 0.30, 0.92, "ink"), R(0.70, 0.66, 0.75, 0.92, "ink"),
                  R(0.18, 0.40, 0.82, 0.70, "accent", 0.35), L("shade", 6, (0.24, 0.55), (0.76, 0.55))],
    "lounger": [P("ink", (0.05, 0.62), (0.70, 0.62), (0.70, 0.68), (0.05, 0.68)),
                P("ink", (0.66, 0.62), (0.92, 0.25), (0.97, 0.29), (0.74, 0.64)), R(0.08, 0.68, 0.12, 0.90, "ink"),
                R(0.62, 0.68, 0.66, 0.88, "ink"), E(0.02, 0.80, 0.14, 0.95, "shade"),
                R(0.08, 0.56, 0.68, 0.62, "accent", 0.5),
                P("accent", (0.70, 0.58), (0.90, 0.26), (0.94, 0.30), (0.75, 0.60))],
    "planter": [E(0.24, 0.10, 0.46, 0.48, "leaf"), E(0.40, 0.02, 0.60, 0.47, "leaf2"),
                E(0.55, 0.14, 0.77, 0.48, "leaf"), P("ink", (0.18, 0.45), (0.82, 0.45), (0.76, 0.95), (0.24, 0.95)),
                R(0.14, 0.42, 0.86, 0.49, "accent", 0.3), L("accent", 8, (0.21, 0.62), (0.79, 0.62)),
                L("accent", 8, (0.23, 0.78), (0.77, 0.78))],
    "birdhouse": [R(0.47, 0.80, 0.53, 1.0, "shade"), R(0.30, 0.36, 0.70, 0.84, "ink", 0.03),
                  P("accent", (0.22, 0.40), (0.50, 0.06), (0.78, 0.40)), E(0.43, 0.48, 0.57, 0.62, "shade"),
                  R(0.48, 0.66, 0.52, 0.72, "accent")],
    "insecthotel": [R(0.28, 0.28, 0.72, 0.92, "ink", 0.02), P("accent", (0.22, 0.32), (0.50, 0.06), (0.78, 0.32))]
                   + [E(0.32 + i * 0.13, 0.36 + j * 0.18, 0.42 + i * 0.13, 0.48 + j * 0.18,
                        "paper" if (i + j) % 2 else "accent")
                      for i in range(3) for j in range(3)],
    "firepit": [P("flame", (0.34, 0.34), (0.40, 0.10), (0.47, 0.24), (0.52, 0.02), (0.58, 0.22), (0.63, 0.12),
                  (0.68, 0.34)),
                P("flame2", (0.42, 0.34), (0.47, 0.20), (0.52, 0.30), (0.57, 0.18), (0.60, 0.34)),
                S(0.12, -0.05, 0.88, 0.72, 0, 180, "ink"), R(0.10, 0.30, 0.90, 0.35, "shade", 0.5),
                P("ink", (0.28, 0.62), (0.33, 0.62), (0.24, 0.95), (0.19, 0.95)),
                P("ink", (0.67, 0.62), (0.72, 0.62), (0.81, 0.95), (0.76, 0.95))],
    "grate": [E(0.18, 0.12, 0.82, 0.88, "ink"), E(0.22, 0.17, 0.78, 0.83, "bg")]
             + [L("ink", 10, (0.22 + i * 0.08, 0.22), (0.22 + i * 0.08, 0.78)) for i in range(1, 7)]
             + [R(0.80, 0.46, 0.98, 0.54, "accent", 0.5)],
    "lograck": [L("ink", 14, (0.22, 0.10), (0.22, 0.90), (0.78, 0.90), (0.78, 0.10))]
               + [E(0.24 + i * 0.135, 0.20 + j * 0.17, 0.38 + i * 0.135, 0.38 + j * 0.17, "accent")
                  for i in range(4) for j in range(4)]
               + [E(0.29 + i * 0.135, 0.26 + j * 0.17, 0.33 + i * 0.135, 0.32 + j * 0.17, "shade")
                  for i in range(4) for j in range(4)],
    "board": [R(0.06, 0.36, 0.80, 0.72, "ink", 0.2), R(0.78, 0.47, 0.98, 0.61, "ink", 0.5),
              E(0.90, 0.51, 0.94, 0.57, "bg"), L("accent", 5, (0.12, 0.46), (0.74, 0.46)),
              L("accent", 5, (0.12, 0.55), (0.70, 0.55)), L("accent", 5, (0.16, 0.63), (0.74, 0.63))],
    "utensil": [R(0.31, 0.35, 0.36, 0.95, "ink", 0.5), E(0.24, 0.06, 0.43, 0.40, "ink"),
                E(0.28, 0.11, 0.39, 0.34, "shade"), R(0.62, 0.40, 0.67, 0.95, "accent", 0.5),
                R(0.56, 0.06, 0.73, 0.43, "accent", 0.25)],
    "mug": [A(0.56, 0.36, 0.82, 0.72, 270, 90, "ink", 30), R(0.28, 0.26, 0.66, 0.90, "ink", 0.12),
            R(0.28, 0.32, 0.66, 0.40, "accent"), A(0.36, 0.02, 0.46, 0.22, 90, 270, "shade", 6),
            A(0.48, 0.02, 0.58, 0.22, 90, 270, "shade", 6)],
    "bowl": [S(0.10, 0.05, 0.90, 0.85, 0, 180, "ink"), E(0.10, 0.39, 0.90, 0.51, "accent"),
             E(0.16, 0.41, 0.84, 0.49, "shade"), R(0.40, 0.83, 0.60, 0.88, "ink", 0.3)],
    "vase": [L("leaf", 6, (0.50, 0.20), (0.40, 0.0)), L("leaf", 6, (0.50, 0.20), (0.62, 0.02)),
             L("leaf", 6, (0.50, 0.20), (0.50, -0.02)), E(0.28, 0.40, 0.72, 0.96, "ink"),
             R(0.42, 0.14, 0.58, 0.50, "ink"), R(0.39, 0.12, 0.61, 0.17, "accent", 0.5),
             L("accent", 8, (0.31, 0.66), (0.69, 0.66))],
    "basket": [A(0.26, 0.08, 0.74, 0.80, 180, 360, "ink", 26),
               P("ink", (0.18, 0.44), (0.82, 0.44), (0.73, 0.93), (0.27, 0.93)), E(0.30, 0.38, 0.40, 0.48, "berry"),
               E(0.40, 0.36, 0.50, 0.46, "berry"), E(0.50, 0.38, 0.60, 0.48, "berry"),
               E(0.58, 0.37, 0.68, 0.47, "berry")]
              + [L("accent", 6, (0.20 + k * 0.015, 0.52 + k * 0.1), (0.80 - k * 0.015, 0.52 + k * 0.1))
                 for k in range(4)],
    "tray": [P("ink", (0.14, 0.48), (0.86, 0.48), (0.96, 0.76), (0.04, 0.76)),
             P("accent", (0.19, 0.52), (0.81, 0.52), (0.88, 0.70), (0.12, 0.70)),
             R(0.04, 0.76, 0.96, 0.82, "shade"), E(0.15, 0.40, 0.25, 0.56, "paper"),
             E(0.70, 0.38, 0.80, 0.56, "paper")],
    "bag": [A(0.32, 0.10, 0.48, 0.70, 180, 360, "accent", 16), A(0.52, 0.10, 0.68, 0.70, 180, 360, "accent", 16),
            R(0.24, 0.38, 0.76, 0.94, "ink", 0.05), R(0.34, 0.60, 0.66, 0.82, "accent", 0.05)],
    "apron": [A(0.38, -0.04, 0.62, 0.26, 180, 360, "accent", 12),
              P("ink", (0.38, 0.10), (0.62, 0.10), (0.62, 0.34), (0.76, 0.42), (0.72, 0.96), (0.28, 0.96),
                (0.24, 0.42), (0.38, 0.34)),
              L("accent", 10, (0.25, 0.43), (0.08, 0.55)), L("accent", 10, (0.75, 0.43), (0.92, 0.55)),
              R(0.38, 0.56, 0.62, 0.74, "accent", 0.1)],
    "pillow": [R(0.16, 0.24, 0.84, 0.82, "accent", 0.3), R(0.22, 0.30, 0.78, 0.76, "shade", 0.3),
               R(0.25, 0.33, 0.75, 0.73, "accent", 0.3), L("ink", 8, (0.30, 0.53), (0.70, 0.53)),
               L("ink", 8, (0.50, 0.38), (0.50, 0.68))],
    "blanket": [R(0.12, 0.58, 0.88, 0.80, "ink", 0.15), R(0.16, 0.38, 0.84, 0.60, "accent", 0.15),
                R(0.20, 0.20, 0.80, 0.40, "ink", 0.15), L("paper", 6, (0.20, 0.30), (0.80, 0.30)),
                L("paper", 6, (0.16, 0.49), (0.84, 0.49)), L("paper", 6, (0.12, 0.69), (0.88, 0.69))]
               + [L("ink", 4, (0.14 + k * 0.04, 0.80), (0.14 + k * 0.04, 0.86)) for k in range(19)],
    "folded": [R(0.14, 0.70, 0.86, 0.88, "ink", 0.2), R(0.18, 0.52, 0.82, 0.70, "accent", 0.2),
               R(0.22, 0.34, 0.78, 0.52, "paper", 0.2), L("accent", 8, (0.22, 0.40), (0.78, 0.40)),
               L("ink", 8, (0.18, 0.58), (0.82, 0.58)), L("accent", 8, (0.14, 0.76), (0.86, 0.76))],
    "notebook": [R(0.30, 0.06, 0.72, 0.94, "ink", 0.04), R(0.30, 0.06, 0.36, 0.94, "shade"),
                 R(0.63, 0.06, 0.66, 0.94, "accent"), R(0.42, 0.28, 0.60, 0.38, "paper", 0.1)],
    "cards": [P("paper", (0.14, 0.30), (0.48, 0.20), (0.58, 0.78), (0.24, 0.88)),
              E(0.28, 0.42, 0.42, 0.56, "accent"), P("accent", (0.40, 0.46), (0.48, 0.44), (0.42, 0.50)),
              R(0.46, 0.44, 0.90, 0.82, "accent", 0.03), L("ink", 6, (0.46, 0.44), (0.68, 0.64), (0.90, 0.44))],
    "poster": [R(0.24, 0.02, 0.76, 0.98, "ink"), R(0.27, 0.06, 0.73, 0.94, "paper"),
               E(0.52, 0.16, 0.64, 0.31, "accent"),
               P("shade", (0.27, 0.78), (0.40, 0.46), (0.50, 0.64), (0.58, 0.50), (0.73, 0.78)),
               P("accent", (0.27, 0.94), (0.27, 0.78), (0.73, 0.78), (0.73, 0.94))],
    "calendar": [R(0.22, 0.12, 0.78, 0.94, "paper", 0.03), R(0.22, 0.12, 0.78, 0.30, "accent", 0.03),
                 R(0.34, 0.06, 0.37, 0.16, "ink"), R(0.63, 0.06, 0.66, 0.16, "ink")]
                + [R(0.27 + i * 0.075, 0.36 + j * 0.115, 0.32 + i * 0.075, 0.43 + j * 0.115,
                     "ink" if (i, j) != (4, 2) else "accent")
                   for i in range(7) for j in range(5)],
    "axe": [P("wood", (0.36, 0.96), (0.43, 0.97), (0.60, 0.16), (0.53, 0.14)),
            P("metal", (0.46, 0.12), (0.64, 0.18), (0.80, 0.06), (0.84, 0.42), (0.64, 0.30), (0.48, 0.26))],
    "spade": [R(0.47, 0.08, 0.53, 0.60, "wood"), R(0.40, 0.04, 0.60, 0.09, "ink", 0.5),
              P("metal", (0.37, 0.58), (0.63, 0.58), (0.61, 0.86), (0.50, 0.98), (0.39, 0.86))],
    "candle": [E(0.30, 0.86, 0.70, 0.96, "ink"), R(0.47, 0.40, 0.53, 0.90, "ink"), E(0.44, 0.55, 0.56, 0.62, "ink"),
               R(0.41, 0.35, 0.59, 0.42, "ink", 0.3), R(0.46, 0.10, 0.54, 0.37, "paper"),
               E(0.47, 0.0, 0.53, 0.11, "flame")],
    "lantern": [A(0.42, 0.0, 0.58, 0.16, 180, 360, "ink", 10), P("ink", (0.30, 0.24), (0.50, 0.08), (0.70, 0.24)),
                R(0.32, 0.24, 0.68, 0.86, "ink", 0.02), R(0.36, 0.29, 0.64, 0.81, "glass"),
                L("ink", 8, (0.50, 0.29), (0.50, 0.81)), R(0.44, 0.56, 0.56, 0.78, "paper"),
                E(0.47, 0.46, 0.53, 0.56, "flame"), R(0.28, 0.86, 0.72, 0.92, "ink")],
    "hooks": [R(0.08, 0.34, 0.92, 0.46, "accent", 0.1)]
             + [A(x - 0.05, 0.40, x + 0.05, 0.66, 0, 180, "ink", 14) for x in (0.22, 0.41, 0.60, 0.79)]
             + [L("ink", 14, (x - 0.05, 0.40), (x - 0.05, 0.53)) for x in (0.22, 0.41, 0.60, 0.79)],
    "toolbox": [R(0.18, 0.24, 0.22, 0.55, "ink"), R(0.78, 0.24, 0.82, 0.55, "ink"),
                R(0.18, 0.24, 0.82, 0.29, "accent", 0.5), R(0.30, 0.32, 0.34, 0.56, "wood"),
                R(0.26, 0.30, 0.38, 0.36, "metal"), R(0.60, 0.36, 0.63, 0.56, "metal"),
                R(0.14, 0.50, 0.86, 0.92, "ink", 0.03), L("accent", 8, (0.14, 0.62), (0.86, 0.62))],
    "toycar": [R(0.12, 0.44, 0.88, 0.72, "accent", 0.2), R(0.30, 0.24, 0.66, 0.50, "accent", 0.15),
               R(0.36, 0.29, 0.60, 0.44, "paper", 0.15), E(0.18, 0.62, 0.38, 0.88, "ink"),
               E(0.62, 0.62, 0.82, 0.88, "ink"), E(0.25, 0.71, 0.31, 0.79, "paper"),
               E(0.69, 0.71, 0.75, 0.79, "paper")],
    "pram": [L("ink", 12, (0.70, 0.40), (0.86, 0.14)), S(0.18, 0.06, 0.78, 0.74, 0, 180, "accent"),
             R(0.18, 0.38, 0.78, 0.42, "ink"), E(0.20, 0.70, 0.36, 0.90, "ink"), E(0.60, 0.70, 0.76, 0.90, "ink")],
    "animal": [E(0.24, 0.36, 0.68, 0.62, "accent"), R(0.30, 0.55, 0.35, 0.80, "accent"),
               R(0.58, 0.55, 0.63, 0.80, "accent"),
               P("accent", (0.60, 0.42), (0.70, 0.20), (0.80, 0.22), (0.82, 0.34), (0.68, 0.50)),
               L("ink", 8, (0.72, 0.21), (0.66, 0.06)), L("ink", 8, (0.76, 0.21), (0.84, 0.06)),
               L("ink", 6, (0.69, 0.13), (0.62, 0.10)), L("ink", 6, (0.80, 0.13), (0.88, 0.12)),
               R(0.24, 0.78, 0.70, 0.82, "ink"), E(0.22, 0.76, 0.34, 0.92, "ink"), E(0.60, 0.76, 0.72, 0.92, "ink"),
               L("shade", 4, (0.24, 0.80), (0.05, 0.70))],
    "blocks": [R(0.18, 0.64, 0.40, 0.92, "accent"), R(0.41, 0.64, 0.63, 0.92, "ink"),
               R(0.64, 0.64, 0.86, 0.92, "accent"), R(0.30, 0.35, 0.52, 0.63, "ink"),
               R(0.53, 0.35, 0.75, 0.63, "accent"), P("shade", (0.30, 0.34), (0.52, 0.10), (0.75, 0.34))],
    "chess": [R(0.18, 0.06, 0.82, 0.94, "ink")]
             + _grid(0.21, 0.10, 0.79, 0.90, 8, "accent", "paper"),
    "bread": [E(0.10, 0.30, 0.90, 0.88, "ink"), R(0.10, 0.62, 0.90, 0.88, "ink", 0.2),
              A(0.24, 0.38, 0.40, 0.62, 200, 340, "accent", 10), A(0.42, 0.36, 0.58, 0.60, 200, 340, "accent", 10),
              A(0.60, 0.38, 0.76, 0.62, 200, 340, "accent", 10)],
    "jar": [R(0.30, 0.32, 0.70, 0.94, "accent", 0.12), R(0.28, 0.22, 0.72, 0.34, "ink", 0.1),
            R(0.35, 0.50, 0.65, 0.74, "paper", 0.05), L("ink", 5, (0.40, 0.58), (0.60, 0.58)),
            L("ink", 5, (0.42, 0.66), (0.58, 0.66))],
    "bottle": [R(0.36, 0.40, 0.64, 0.96, "accent", 0.12),
               P("accent", (0.36, 0.46), (0.45, 0.28), (0.55, 0.28), (0.64, 0.46)),
               R(0.45, 0.12, 0.55, 0.32, "accent"), R(0.44, 0.06, 0.56, 0.14, "ink", 0.2),
               R(0.38, 0.56, 0.62, 0.78, "paper", 0.05)],
    "washer": [R(0.22, 0.06, 0.78, 0.96, "ink", 0.05), R(0.24, 0.09, 0.76, 0.93, "paper", 0.05),
               R(0.24, 0.09, 0.76, 0.22, "accent"), E(0.30, 0.12, 0.36, 0.19, "ink"),
               E(0.40, 0.12, 0.46, 0.19, "ink"), E(0.32, 0.34, 0.68, 0.84, "ink"),
               E(0.36, 0.39, 0.64, 0.79, "glass"), A(0.40, 0.44, 0.60, 0.74, 200, 300, "paper", 8)],
    "printer": [R(0.28, 0.10, 0.72, 0.44, "paper"), L("shade", 6, (0.34, 0.20), (0.64, 0.20)),
                L("shade", 6, (0.34, 0.28), (0.60, 0.28)), R(0.14, 0.40, 0.86, 0.74, "ink", 0.06),
                R(0.70, 0.48, 0.80, 0.54, "accent", 0.4), R(0.24, 0.70, 0.76, 0.92, "paper"),
                R(0.32, 0.76, 0.68, 0.86, "accent")],
    "wrench": [P("metal", (0.20, 0.80), (0.26, 0.86), (0.66, 0.40), (0.60, 0.34)),
               E(0.54, 0.14, 0.80, 0.42, "metal"), P("bg", (0.68, 0.10), (0.78, 0.18), (0.68, 0.30), (0.60, 0.24)),
               E(0.14, 0.76, 0.30, 0.92, "metal"), E(0.19, 0.81, 0.25, 0.87, "bg")]
              + [L("flame", 6, (0.80, 0.60), (0.80 + dx, 0.60 + dy))
                 for dx, dy in ((0.12, 0.0), (0.09, 0.10), (0.0, 0.14), (-0.07, 0.11), (0.09, -0.10), (0.0, -0.14))],
    "cloche": [S(0.18, 0.26, 0.82, 1.30, 180, 360, "metal"), E(0.46, 0.18, 0.54, 0.28, "ink"),
               R(0.08, 0.76, 0.92, 0.82, "ink", 0.5), A(0.26, 0.34, 0.74, 1.2, 200, 240, "paper", 10)],
    "saw": [P("metal", (0.10, 0.44), (0.72, 0.30), (0.72, 0.62), (0.10, 0.58))]
           + [P("metal", (0.10 + k * 0.05, 0.58), (0.125 + k * 0.05, 0.64), (0.15 + k * 0.05, 0.59))
              for k in range(12)]
           + [R(0.70, 0.26, 0.92, 0.66, "wood", 0.3), R(0.76, 0.36, 0.86, 0.56, "bg", 0.4)],
}

CANVAS = (1600, 1200)
OBJECT_BOX = (380, 170, 1220, 830)
def _colours(palette: Palette) -> dict[str, tuple[int, int, int]]:
    darker = tuple(max(0, round(c * 0.72)) for c in palette.ink)
    return {
        "bg": palette.bg, "ink": palette.ink, "accent": palette.accent, "shade": darker,
        "paper": (252, 249, 242), "metal": (150, 156, 166), "wood": (176, 128, 82), "flame": (240, 144, 48),
        "flame2": (250, 206, 90), "leaf": (92, 148, 82), "leaf2": (120, 172, 96), "glass": (206, 228, 238),
        "berry": (190, 40, 70),
    }


def render_illustration(label: str, shape: str, palette: Palette) -> bytes:
    """Draw a simple product illustration with the label under it; return it as JPEG bytes."""
    return draw_illustration(
        label, SHAPES[shape], _colours(palette), canvas=CANVAS, object_box=OBJECT_BOX,
        background=palette.bg, ink=palette.ink,
    )
