"""The demo catalogue as plain data: units, categories, materials and product types that shop.demo loads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPERATOR_UNIT_SLUG = "ila-fengsel"  # the same as the app's default OPERATOR_UNIT_SLUG
STAFF_UNIT_SLUG = "bastoy-fengsel"  # the unit the demo staff login belongs to


# --- Units -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitSpec:
    slug: str
    name: str
    region: str
    trades: tuple[str, ...]
    description: str
    postal_address: str

    @property
    def contact_email(self) -> str:
        return f"verksted.{self.slug.removesuffix('-fengsel')}@kriminalomsorg.example"


# Real prisons, with general descriptions of the kind of work they run. The addresses are
# town-level only; contact addresses use the reserved .example domain.
UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(
        "trondheim-fengsel", "Trondheim fengsel", "nord", ("snekker", "trykkeri", "vedlikehold"),
        "Arbeidsdriften ved Trondheim fengsel har snekkerverksted, trykkeri og en vedlikeholdsgruppe som tar "
        "oppdrag for både fengselet og eksterne kunder. Snekkerne lager alt fra skjærebrett til hyller, og "
        "trykkeriet leverer kort, notatbøker og plakater. Arbeidet er lagt opp slik at det gir fagtrening og "
        "kan føre fram mot kompetansebevis.",
        "Trondheim fengsel\n7040 Trondheim",
    ),
    UnitSpec(
        "tromso-fengsel", "Tromsø fengsel", "nord", ("snekker", "tekstil/søm", "storkjøkken/bakeri"),
        "Tromsø fengsel har et lite, men allsidig verksted der snekkeri og tekstilarbeid går side om side. "
        "Kjøkkenet baker til eget hus og tar imot mindre bestillinger. Varene er laget av solide materialer "
        "som tåler et nordnorsk kystklima.",
        "Tromsø fengsel\n9008 Tromsø",
    ),
    UnitSpec(
        "bodo-fengsel", "Bodø fengsel", "nord", ("metall/sveis", "snekker", "vaskeri"),
        "Ved Bodø fengsel er det metallverksted, snekkerverksted og vaskeri. Metallverkstedet sveiser "
        "bålpanner, vedstativ og hyllekonsoller, mens vaskeriet tar oppdrag for offentlige virksomheter i "
        "nærområdet. Arbeidet har faste arbeidstider og grundig opplæring i HMS.",
        "Bodø fengsel\n8006 Bodø",
    ),
    UnitSpec(
        "vadso-fengsel", "Vadsø fengsel", "nord", ("tekstil/søm", "storkjøkken/bakeri"),
        "Vadsø fengsel er et av landets minste fengsler, og arbeidsdriften er tilpasset det. Her sys "
        "tekstilvarer i små serier, og kjøkkenet baker til eget hus og til lokale bestillinger. Små serier "
        "gir rom for å lære hele prosessen, fra tilskjæring til ferdig vare.",
        "Vadsø fengsel\n9800 Vadsø",
    ),
    UnitSpec(
        "bergen-fengsel", "Bergen fengsel", "vest", ("trykkeri", "vaskeri", "storkjøkken/bakeri"),
        "Bergen fengsel har trykkeri, vaskeri og storkjøkken. Trykkeriet lager alt fra visittkort til "
        "brosjyrer for offentlige oppdragsgivere, og vaskeriet håndterer arbeidsklær og tekstiler i store "
        "volum. Arbeidet gir erfaring med frister, kvalitetskontroll og kundekontakt.",
        "Bergen fengsel\n5015 Bergen",
    ),
    UnitSpec(
        "bjorgvin-fengsel", "Bjørgvin fengsel", "vest", ("snekker", "metall/sveis", "møbeltapetsering"),
        "Bjørgvin fengsel har snekker- og metallverksted og et eget verksted for møbeltapetsering. "
        "Verkstedene samarbeider om møbler der tre, stål og stoff møtes, og tar imot restaureringsoppdrag fra "
        "privatpersoner og bedrifter. Opplæringen følger læreplanene i fagene der det er mulig.",
        "Bjørgvin fengsel\n5109 Hylkje",
    ),
    UnitSpec(
        "vik-fengsel", "Vik fengsel", "vest", ("landbruk", "snekker"),
        "Vik fengsel i Sogn har lavere sikkerhetsnivå. Arbeidsdriften omfatter gårdsdrift, hagebruk og et "
        "snekkerverksted som lager hagemøbler og plantekasser av lokalt tømmer. Mye av arbeidet følger "
        "årstidene, med dyrking om sommeren og møbelproduksjon om vinteren.",
        "Vik fengsel\n6893 Vik i Sogn",
    ),
    UnitSpec(
        "hustad-fengsel", "Hustad fengsel", "vest", ("landbruk", "vedlikehold", "metall/sveis"),
        "Hustad fengsel ligger ved kysten i Møre og Romsdal. Arbeidsdriften omfatter gårdsbruk, vedlikehold og "
        "et metallverksted som lager redskap og beslag. Arbeidet foregår i små lag der alle får prøve seg på "
        "flere oppgaver.",
        "Hustad fengsel\n6433 Hustad",
    ),
    UnitSpec(
        "stavanger-fengsel", "Stavanger fengsel", "sorvest", ("storkjøkken/bakeri", "tekstil/søm", "vaskeri"),
        "Stavanger fengsel har storkjøkken, tekstilverksted og vaskeri. Kjøkkenet leverer mat til møter og "
        "arrangementer, og tekstilverkstedet syr forklær, vesker og kjøkkentekstiler. Produksjonen følger "
        "regler for mattrygghet og faste kvalitetsrutiner.",
        "Stavanger fengsel\n4021 Stavanger",
    ),
    UnitSpec(
        "ana-fengsel", "Åna fengsel", "sorvest", ("metall/sveis", "snekker", "møbeltapetsering", "landbruk"),
        "Åna fengsel på Jæren har store verksteder for metall, snekker og møbeltapetsering. Gårdsbruket gir "
        "arbeid med dyr og planter gjennom hele året. Verkstedene tar både serieproduksjon og enkeltstående "
        "oppdrag.",
        "Åna fengsel\n4365 Nærbø",
    ),
    UnitSpec(
        "sandeid-fengsel", "Sandeid fengsel", "sorvest", ("landbruk", "snekker", "kurvfletting"),
        "Sandeid fengsel har lavere sikkerhetsnivå og en arbeidsdrift knyttet til gård, skog og "
        "snekkerverksted. Her flettes også kurver av vidje fra egne felt. Arbeidet legger vekt på "
        "tradisjonelle håndverksteknikker.",
        "Sandeid fengsel\n5585 Sandeid",
    ),
    UnitSpec(
        "bastoy-fengsel", "Bastøy fengsel", "sor",
        ("landbruk", "snekker", "kurvfletting", "storkjøkken/bakeri", "vedlikehold"),
        "Bastøy fengsel ligger på en øy i Oslofjorden og drives etter økologiske prinsipper. Arbeidsdriften "
        "omfatter gårdsbruk med dyr og grønnsaker, birøkt, vedproduksjon, snekkerverksted og kjøkken. Mange "
        "av varene lages av råvarer fra øya, og flettverkstedet lager kurver av egen vidje.",
        "Bastøy fengsel\n3190 Horten",
    ),
    UnitSpec(
        "skien-fengsel", "Skien fengsel", "sor", ("trykkeri", "tekstil/søm"),
        "Skien fengsel har trykkeri og tekstilverksted som leverer til både offentlige og private kunder. "
        "Trykkeriet har digital- og silketrykk, og tekstilverkstedet syr vesker, forklær og handlenett. "
        "Arbeidet gir erfaring med hele kjeden fra bestilling til pakking.",
        "Skien fengsel\n3724 Skien",
    ),
    UnitSpec(
        "kragero-fengsel", "Kragerø fengsel", "sor", ("snekker", "keramikk"),
        "Kragerø fengsel har lavere sikkerhetsnivå og ligger like ved sjøen. Verkstedene omfatter snekkeri og "
        "keramikk, og varene har ofte et maritimt preg. Små serier og mye håndarbeid gjør at hvert produkt "
        "blir litt ulikt det neste.",
        "Kragerø fengsel\n3770 Kragerø",
    ),
    UnitSpec(
        "ringerike-fengsel", "Ringerike fengsel", "sor", ("metall/sveis", "snekker", "møbeltapetsering", "trykkeri"),
        "Ringerike fengsel har store, godt utstyrte verksteder for metall og snekker, et verksted for "
        "møbeltapetsering og et trykkeri. Verkstedene tar serieoppdrag for offentlige virksomheter og lager "
        "egne varer til nettbutikken. Opplæringen kan gi kompetansebevis og i noen fag føre fram mot fagbrev.",
        "Ringerike fengsel\n3533 Tyristrand",
    ),
    UnitSpec(
        OPERATOR_UNIT_SLUG, "Ila fengsel og forvaringsanstalt", "ost",
        ("snekker", "trykkeri", "keramikk", "storkjøkken/bakeri"),
        "Ila fengsel og forvaringsanstalt i Bærum er driftsenhet for Verkstedbutikken og har den nasjonale "
        "koordineringen av sortiment og kvalitet. Arbeidsdriften har snekkerverksted, trykkeri, "
        "keramikkverksted og storkjøkken. Her utvikles også flere av de nasjonale designene som produseres ved "
        "flere verksteder.",
        "Ila fengsel og forvaringsanstalt\n1332 Østerås",
    ),
    UnitSpec(
        "halden-fengsel", "Halden fengsel", "ost", ("snekker", "metall/sveis", "storkjøkken/bakeri", "trykkeri"),
        "Halden fengsel har moderne verksteder for snekker og metall, et storkjøkken og et trykkeri. "
        "Verkstedene er bygget for opplæring, med utstyr som tilsvarer det man finner i industrien. Varene "
        "produseres i serier med faste kvalitetskontroller.",
        "Halden fengsel\n1781 Halden",
    ),
    UnitSpec(
        "bredtveit-fengsel", "Bredtveit fengsel", "ost", ("tekstil/søm", "keramikk", "storkjøkken/bakeri"),
        "Bredtveit fengsel i Oslo har tekstilverksted, keramikkverksted og kjøkken. Tekstilverkstedet syr "
        "puter, pledd og kjøkkentekstiler, og keramikkverkstedet dreier krus og skåler i steintøy. Arbeidet "
        "legger vekt på design og god finish.",
        "Bredtveit fengsel\n0950 Oslo",
    ),
    UnitSpec(
        "oslo-fengsel", "Oslo fengsel", "ost", ("vaskeri", "storkjøkken/bakeri"),
        "Oslo fengsel har vaskeri og storkjøkken som betjener både fengselet og eksterne kunder. Vaskeriet tar "
        "oppdrag fra offentlige virksomheter, og kjøkkenet lager mat og bakst til møter. Arbeidet gir "
        "erfaring med hygiene, rutiner og leveringsfrister.",
        "Oslo fengsel\n0650 Oslo",
    ),
    UnitSpec(
        "ullersmo-fengsel", "Ullersmo fengsel", "ost", ("metall/sveis", "snekker", "møbeltapetsering", "trykkeri"),
        "Ullersmo fengsel har en av landets største arbeidsdrifter, med metallverksted, snekkerverksted, "
        "møbeltapetsering og trykkeri. Verkstedene tar serieoppdrag for offentlige virksomheter og produserer "
        "flere av nettbutikkens nasjonale design. Opplæringen er knyttet til læreplanene i fagene.",
        "Ullersmo fengsel\n2040 Kløfta",
    ),
    UnitSpec(
        "kongsvinger-fengsel", "Kongsvinger fengsel", "ost", ("tekstil/søm", "vedlikehold", "snekker"),
        "Kongsvinger fengsel har tekstilverksted, snekkerverksted og en vedlikeholdsgruppe. Tekstilverkstedet "
        "syr vesker og forklær i slitesterke materialer, mens snekkerne lager mindre møbler og treleker. "
        "Arbeidet er lagt opp for å gi varierte oppgaver og fagtrening.",
        "Kongsvinger fengsel\n2211 Kongsvinger",
    ),
)

# Where a trade's work is done, as the descriptions say it ("Laget i snekkerverkstedet ved …").
WORKSHOPS = {
    "snekker": "i snekkerverkstedet",
    "metall/sveis": "i metallverkstedet",
    "tekstil/søm": "i tekstilverkstedet",
    "trykkeri": "i trykkeriet",
    "vaskeri": "i vaskeriet",
    "storkjøkken/bakeri": "i storkjøkkenet",
    "landbruk": "på gården",
    "møbeltapetsering": "i tapetsererverkstedet",
    "keramikk": "i keramikkverkstedet",
    "kurvfletting": "i flettverkstedet",
    "vedlikehold": "i vedlikeholdsavdelingen",
}

# What the work trains: the trade and its skills, never a person.
TRAINING = {
    "snekker": "Arbeidet trener lesing av arbeidstegninger, maskinell og manuell bearbeiding av heltre, "
               "sammenføyninger og overflatebehandling – sentrale deler av snekkerfaget.",
    "metall/sveis": "Produksjonen gir trening i kapping, bøying og MAG-sveising, i sliping og overflatebehandling, "
                    "og i å arbeide etter verkstedets HMS-rutiner.",
    "tekstil/søm": "Arbeidet trener tilskjæring etter mønster, søm på industrimaskin og overlock, og "
                   "kvalitetskontroll av ferdige produkter.",
    "trykkeri": "Arbeidet gir trening i digitaltrykk og silketrykk, skjæring, falsing og innbinding, og i å "
                "levere etter kundens spesifikasjon.",
    "vaskeri": "Tjenesten gir trening i sortering, valg av vaskeprogram, flekkbehandling, mangling og "
               "hygienerutiner for industrivask.",
    "storkjøkken/bakeri": "Arbeidet trener oppskriftsforståelse, hygiene etter HACCP-prinsippene, deigbehandling "
                          "og baking – grunnleggende ferdigheter i baker- og kokkfaget.",
    "landbruk": "Arbeidet gir trening i stell av dyr og planter, innhøsting og foredling, og i å planlegge "
                "arbeidet etter årstidene.",
    "møbeltapetsering": "Arbeidet trener demontering, oppbygging med fjærer og stopp, tilskjæring av trekk og "
                        "tapetsering – sentrale deler av møbeltapetsererfaget.",
    "keramikk": "Arbeidet trener dreiing og støping, glasering og brenning, og gir øvelse i å holde jevn "
                "kvalitet gjennom en serie.",
    "kurvfletting": "Arbeidet gir trening i tradisjonell fletteteknikk, fra høsting og sortering av vidje til "
                    "ferdig flettet kurv.",
    "vedlikehold": "Arbeidet gir trening i praktisk vedlikehold, bruk av verktøy og å planlegge oppdrag etter "
                   "en arbeidsordre.",
}


# --- Categories ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    description: str
    children: tuple[tuple[str, str], ...]  # (slug, name), in display order


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("mobler", "Møbler", "Møbler i heltre fra fengslenes snekker- og tapetsererverksteder.", (
        ("benker", "Benker"), ("bord", "Bord"), ("stoler-og-krakker", "Stoler og krakker"),
        ("hyller-og-oppbevaring", "Hyller og oppbevaring"), ("tapetserte-mobler", "Tapetserte møbler"),
    )),
    CategorySpec("hage-og-uterom", "Hage og uterom", "Alt til hagen, terrassen og hytta – laget for norsk vær.", (
        ("hagemobler", "Hagemøbler"), ("plantekasser-og-dyrking", "Plantekasser og dyrking"),
        ("fuglekasser-og-foring", "Fuglekasser og fôring"), ("bal-og-grill", "Bål og grill"),
    )),
    CategorySpec("kjokken-og-servering", "Kjøkken og servering", "Brett, redskap og keramikk til hverdag og fest.", (
        ("skjaerebrett-og-fjoler", "Skjærebrett og fjøler"), ("kjokkenredskap", "Kjøkkenredskap"),
        ("keramikk", "Keramikk"), ("kurver-og-brett", "Kurver og brett"),
    )),
    CategorySpec("tekstil", "Tekstil", "Sydd og vevd i fengslenes tekstilverksteder.", (
        ("vesker-og-bagger", "Vesker og bagger"), ("forklaer-og-arbeidsklaer", "Forklær og arbeidsklær"),
        ("puter-og-pledd", "Puter og pledd"), ("handklaer-og-kjokkentekstil", "Håndklær og kjøkkentekstil"),
    )),
    CategorySpec("trykk-og-papir", "Trykk og papir", "Notatbøker, kort og plakater fra fengselstrykkeriene.", (
        ("notatboker", "Notatbøker"), ("kort-og-konvolutter", "Kort og konvolutter"),
        ("plakater-og-trykk", "Plakater og trykk"), ("kalendere", "Kalendere"),
    )),
    CategorySpec("metall-og-verktoy", "Metall og verktøy", "Smidd, sveiset og slipt i metallverkstedene.", (
        ("okser-og-hageredskap", "Økser og hageredskap"), ("lysestaker-og-lykter", "Lysestaker og lykter"),
        ("knagger-og-beslag", "Knagger og beslag"), ("verktoy-og-verksted", "Verktøy og verksted"),
    )),
    CategorySpec("barn-og-lek", "Barn og lek", "Solide leker og barnemøbler i heltre.", (
        ("treleker", "Treleker"), ("barnemobler", "Barnemøbler"), ("spill-og-puslespill", "Spill og puslespill"),
    )),
    CategorySpec("mat-og-bakst", "Mat og bakst", "Bakst, syltetøy og gårdsvarer fra fengslenes kjøkken og gårder.", (
        ("brod-og-bakst", "Brød og bakst"), ("syltetoy-og-saft", "Syltetøy og saft"),
        ("gardsprodukter", "Gårdsprodukter"),
    )),
    CategorySpec("tjenester", "Tjenester", "Vask, trykk, restaurering, sveising og catering på oppdrag.", (
        ("vask-og-rens", "Vask og rens"), ("trykketjenester", "Trykketjenester"),
        ("mobelrestaurering", "Møbelrestaurering"), ("sveising-og-reparasjon", "Sveising og reparasjon"),
        ("catering", "Catering"), ("snekkeroppdrag", "Snekkeroppdrag"),
    )),
)


# --- Materials ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Material:
    name: str  # as in a title: "Benk i eik"
    about: str  # one sentence for the description
    finish: str = ""  # the usual surface treatment, shown as an attribute


MATERIALS: dict[str, Material] = {
    "eik": Material("eik", "Eik er hardt og slitesterkt og får en varm, gyllen tone med årene.", "Oljet"),
    "furu": Material("furu", "Furu er lett å bearbeide og mørkner vakkert over tid.", "Såpebehandlet"),
    "kjernefuru": Material("kjernefuru", "Kjernefuru har naturlig mye kvae og tåler å stå ute uten impregnering.",
                           "Ubehandlet"),
    "lerk": Material("lerk", "Lerk er rik på kvae og tåler vær og vind godt, også ubehandlet.", "Ubehandlet"),
    "gran": Material("gran", "Gran er lett og rimelig og egner seg godt der vekten betyr noe.", "Ubehandlet"),
    "bjørk": Material("bjørk", "Bjørk er et tett, lyst norsk løvtre som tåler daglig bruk.", "Oljet"),
    "ask": Material("ask", "Ask er seigt og sterkt og brukes gjerne der treverket skal tåle slag og belastning.",
                    "Oljet"),
    "einer": Material("einer", "Einer har en frisk duft og en tett, vakker struktur.", "Matolje"),
    "smijern": Material("smijern", "Smijernet er formet og sveiset for hånd og lakkert matt sort.", "Matt sort lakk"),
    "stål": Material("stål", "Stålet er sveiset i verkstedet og behandlet for å tåle fukt og varme.",
                     "Varmebestandig lakk"),
    "cortenstål": Material("cortenstål", "Cortenstål danner et rustbrunt lag som beskytter mot videre korrosjon, "
                           "og får en levende patina.", "Naturlig patina"),
    "rustfritt stål": Material("rustfritt stål", "Rustfritt stål tåler fukt og er lett å holde rent.", "Børstet"),
    "messing": Material("messing", "Messingen er dreid og polert, og får en mild patina med tiden.", "Polert"),
    "lin": Material("lin", "Lin er sterkt, puster godt og blir mykere for hver vask."),
    "ull": Material("ull", "Norsk ull er varm, slitesterk og naturlig smussavvisende."),
    "bomull": Material("bomull", "Bomullen er økologisk og tåler vask på 60 grader."),
    "seilduk": Material("seilduk", "Seilduken er tett og kraftig og blir bare finere med bruk."),
    "skinn": Material("skinn", "Skinnet er vegetabilsk garvet og får en fin patina med bruk."),
    "presenning": Material("presenning", "Presenningen vaskes og kontrolleres for skader før den skjæres til."),
    "steintøy": Material("steintøy", "Steintøyet er brent ved høy temperatur og tåler oppvaskmaskin og "
                         "mikrobølgeovn."),
    "vidje": Material("vidje", "Vidja er dyrket og høstet lokalt og flettes mens den ennå er myk."),
    "papir": Material("papir", "Papiret er FSC-merket og trykket med vegetabilske farger."),
}


# --- Product types -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One product of a type: its title, material, price in whole kroner and what differs from the type."""

    title: str
    material: str | None
    price_kr: int
    attributes: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ProductType:
    """A kind of product made in one category by one trade; each variant becomes one listing."""

    key: str
    category: str  # leaf category slug
    trade: str
    shape: str  # the illustration drawn for it (see shop.demo.SHAPES)
    summary: str  # one sentence; {materiale} is the variant's material
    description: str  # two sentences; the material's sentence and the workshop are added after
    attributes: dict[str, str]
    variants: tuple[Variant, ...]
    kind: str = "goods"
    vat_rate_bp: int = 2500
    made_to_order: bool = False
    lead_time_days: int | None = None
    units: tuple[str, ...] = ()  # who makes it; by default every unit with the trade, in turn


def in_materials(pattern: str, **prices: int) -> tuple[Variant, ...]:
    """Variants named by pattern ("Benk i {m}") for each material, with its price in kroner."""
    return tuple(Variant(pattern.format(m=MATERIALS[m].name), m, kr) for m, kr in prices.items())


V = Variant
FOOD = 1500  # reduced MVA rate on food

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # Møbler
    ProductType(
        "benk", "benker", "snekker", "bench",
        "Solid benk i {materiale} til gangen, kjøkkenet eller hytta.",
        "Benken er satt sammen med tapp og slisse og tåler å bli brukt hver dag. Den passer like godt ved "
        "spisebordet som i gangen.",
        {"Mål": "120 × 35 × 45 cm", "Vekt": "9 kg"},
        in_materials("Benk i {m}", eik=3490, furu=2290, ask=3190)
        + (V("Benk i eik, 160 cm", "eik", 4290, {"Mål": "160 × 35 × 45 cm", "Vekt": "12 kg"}),),
        units=("bastoy-fengsel", "halden-fengsel", "trondheim-fengsel", "ullersmo-fengsel"),
    ),
    ProductType(
        "gangbenk", "benker", "snekker", "bench",
        "Gangbenk i {materiale} med hylle under til sko og støvler.",
        "Hylla under setet har plass til fire–fem par sko, og setet er bredt nok til å sitte godt. Bena er "
        "felt inn i setet for ekstra stivhet.",
        {"Mål": "100 × 32 × 48 cm", "Vekt": "11 kg"},
        in_materials("Gangbenk med skohylle i {m}", eik=3990, furu=2790, bjørk=3290),
    ),
    ProductType(
        "spisebord", "bord", "snekker", "table",
        "Spisebord i {materiale} med plass til seks personer.",
        "Bordplata er limt av utvalgte lameller og slipt i flere omganger før overflatebehandlingen. Bena kan "
        "skrus av, så bordet er enkelt å frakte.",
        {"Mål": "180 × 90 × 74 cm", "Vekt": "38 kg"},
        in_materials("Spisebord i {m}", eik=12900, bjørk=9900, furu=7900),
        made_to_order=True, lead_time_days=35,
    ),
    ProductType(
        "salongbord", "bord", "snekker", "table",
        "Lavt salongbord i {materiale} med hylle til aviser og bøker.",
        "Hylla under plata gir plass til blader, bøker og fjernkontroller. Kantene er avrundet, så bordet er "
        "trygt å ha der barn leker.",
        {"Mål": "110 × 60 × 45 cm", "Vekt": "19 kg"},
        in_materials("Salongbord i {m}", eik=5490, ask=4990, furu=3490),
    ),
    ProductType(
        "nattbord", "bord", "snekker", "nightstand",
        "Nattbord i {materiale} med én skuff og åpen hylle.",
        "Skuffen går lett på treskinner, og den åpne hylla gir plass til bøker. Nattbordet står på korte, "
        "skrå bein.",
        {"Mål": "45 × 35 × 55 cm", "Vekt": "8 kg"},
        in_materials("Nattbord i {m}", bjørk=1890, furu=1490, eik=2290),
    ),
    ProductType(
        "krakk", "stoler-og-krakker", "snekker", "stool",
        "Liten krakk i {materiale} til kjøkkenet, badet eller hytta.",
        "Setet er svakt uthulet og godt å sitte på, og de skrå bena gjør krakken stødig også på ujevnt gulv. "
        "Den er lett nok til at barn kan flytte den selv.",
        {"Mål": "Ø 30 × 45 cm", "Vekt": "3 kg"},
        in_materials("Krakk i {m}", eik=990, bjørk=790, furu=590),
    ),
    ProductType(
        "spisestol", "stoler-og-krakker", "snekker", "chair",
        "Klassisk spisestol i {materiale} med sprosserygg.",
        "Stolen er satt sammen med tapp og lim, uten skruer som kan løsne. Ryggen er svakt bøyd for bedre "
        "sittekomfort.",
        {"Mål": "45 × 50 × 82 cm", "Setehøyde": "45 cm", "Vekt": "6 kg"},
        in_materials("Spisestol i {m}", eik=2890, bjørk=2490),
    ),
    ProductType(
        "barkrakk", "stoler-og-krakker", "snekker", "stool",
        "Høy barkrakk i {materiale} med fotstøtte.",
        "Fotstøtten sitter i riktig høyde for kjøkkenøy og barbord. Krakken leveres ferdig montert.",
        {"Mål": "Ø 34 × 75 cm", "Vekt": "5 kg"},
        in_materials("Barkrakk i {m}", eik=1990, ask=1890),
    ),
    ProductType(
        "vegghylle", "hyller-og-oppbevaring", "snekker", "shelf",
        "Enkel vegghylle i {materiale} med skjult oppheng.",
        "Hylla henges på en skjult skinne og ser ut til å sveve på veggen. Den tåler bøker, planter og "
        "kjøkkenutstyr.",
        {"Mål": "80 × 20 × 18 cm", "Vekt": "3 kg", "Bæreevne": "20 kg"},
        in_materials("Vegghylle i {m}", eik=1290, bjørk=990, furu=790),
    ),
    ProductType(
        "bokhylle", "hyller-og-oppbevaring", "snekker", "shelf",
        "Stående bokhylle i {materiale} med fem hyller.",
        "Hyllene kan flyttes i høyden og hviler på treplugger. Bokhylla leveres med veggfeste for sikker "
        "montering.",
        {"Mål": "80 × 30 × 190 cm", "Vekt": "32 kg"},
        in_materials("Bokhylle i {m}", furu=3290, eik=5490, bjørk=4290),
        made_to_order=True, lead_time_days=28,
    ),
    ProductType(
        "oppbevaringskasse", "hyller-og-oppbevaring", "snekker", "box",
        "Oppbevaringskasse i {materiale} med lokk, til ved, leker eller tekstiler.",
        "Kassen har gripehull i endene og et lokk som hviler på innfelte lister. Den kan også brukes som "
        "sittebenk.",
        {"Mål": "60 × 40 × 40 cm", "Vekt": "7 kg"},
        in_materials("Oppbevaringskasse i {m}", furu=690, gran=590, eik=1190),
    ),
    ProductType(
        "fotskammel", "tapetserte-mobler", "møbeltapetsering", "footstool",
        "Polstret fotskammel med ben i eik og trekk av {materiale}.",
        "Skammelen er bygd opp med fjærer, stopp og skum og trukket for hånd. Den passer til lenestolen, men "
        "fungerer også som ekstra sitteplass.",
        {"Mål": "50 × 40 × 42 cm", "Vekt": "5 kg"},
        (V("Fotskammel med ulltrekk", "ull", 2490), V("Fotskammel med linstrekk", "lin", 2290),
         V("Fotskammel med skinntrekk", "skinn", 3490)),
    ),
    ProductType(
        "lenestol", "tapetserte-mobler", "møbeltapetsering", "armchair",
        "Klassisk lenestol med ramme i bjørk og trekk av {materiale}.",
        "Stolen bygges opp fra ramme til ferdig trekk etter bestilling, med tradisjonell polstring i ryggen og "
        "moderne skum i setet. Du kan be om en annen farge på trekket.",
        {"Mål": "75 × 80 × 95 cm", "Setehøyde": "44 cm", "Vekt": "18 kg"},
        (V("Lenestol med ulltrekk", "ull", 8900), V("Lenestol med linstrekk", "lin", 8490)),
        made_to_order=True, lead_time_days=42,
    ),
    ProductType(
        "polstret-benk", "tapetserte-mobler", "møbeltapetsering", "footstool",
        "Benk i eik med polstret sete og trekk av {materiale}.",
        "Setet er polstret med skum og vatt og stiftet på undersiden, slik at det kan trekkes om senere. "
        "Benken passer i gangen eller ved fotenden av senga.",
        {"Mål": "110 × 38 × 46 cm", "Vekt": "12 kg"},
        (V("Polstret benk med ulltrekk", "ull", 4990), V("Polstret benk med skinntrekk", "skinn", 5990)),
    ),
    # Hage og uterom
    ProductType(
        "hagebenk", "hagemobler", "snekker", "bench",
        "Hagebenk i {materiale} med ryggstø og armlener.",
        "Benken er laget for å stå ute hele året og har avrundede kanter på sete og rygg. Alle skruer er i "
        "rustfritt stål.",
        {"Mål": "150 × 60 × 85 cm", "Vekt": "28 kg"},
        in_materials("Hagebenk i {m}", lerk=4290, kjernefuru=3690),
        units=("vik-fengsel", "sandeid-fengsel", "ana-fengsel"),
    ),
    ProductType(
        "hagebord", "hagemobler", "snekker", "table",
        "Hagebord i {materiale} med plass til seks.",
        "Bordplata har smale mellomrom mellom bordene, så regnvann renner av. Bena er skrudd fast og kan "
        "strammes etter behov.",
        {"Mål": "160 × 80 × 74 cm", "Vekt": "35 kg"},
        in_materials("Hagebord i {m}", lerk=5990, kjernefuru=4990),
        units=("vik-fengsel", "sandeid-fengsel", "ana-fengsel"),
    ),
    ProductType(
        "hagestol", "hagemobler", "snekker", "chair",
        "Lav hagestol i {materiale} med brede armlener.",
        "De brede armlenene har plass til en kaffekopp, og den skrå ryggen gir en avslappet sittestilling. "
        "Stolen kan felles sammen og settes bort om vinteren.",
        {"Mål": "70 × 80 × 90 cm", "Vekt": "11 kg"},
        in_materials("Hagestol i {m}", lerk=2890, kjernefuru=2490),
        units=("vik-fengsel", "sandeid-fengsel", "ana-fengsel"),
    ),
    ProductType(
        "solseng", "hagemobler", "snekker", "lounger",
        "Solseng i {materiale} med justerbar rygg og hjul.",
        "Ryggen kan stilles i fire stillinger, og hjulene gjør det lett å flytte senga etter sola. Solsenga "
        "lages etter bestilling.",
        {"Mål": "200 × 65 × 35 cm", "Vekt": "24 kg"},
        in_materials("Solseng i {m}", lerk=5490),
        made_to_order=True, lead_time_days=28,
    ),
    ProductType(
        "plantekasse", "plantekasser-og-dyrking", "snekker", "planter",
        "Plantekasse i {materiale} til balkong, terrasse eller inngangsparti.",
        "Kassen har dreneringshull i bunnen og kan kles med plast på innsiden for å vare lenger. Den er stor "
        "nok til urter, blomster eller en liten busk.",
        {"Mål": "60 × 40 × 40 cm", "Vekt": "9 kg"},
        in_materials("Plantekasse i {m}", lerk=1290, kjernefuru=1090)
        + (V("Plantekasse i cortenstål", "cortenstål", 1990, {"Vekt": "14 kg"}),),
    ),
    ProductType(
        "dyrkekasse", "plantekasser-og-dyrking", "snekker", "planter",
        "Dyrkekasse i {materiale} i arbeidshøyde, så du kan stelle grønnsakene uten å bøye deg.",
        "Kassen står på bein i god arbeidshøyde og passer også for den som sitter i rullestol. Bunnen er av "
        "spiler med duk, slik at vannet renner ut.",
        {"Mål": "100 × 50 × 80 cm", "Vekt": "21 kg"},
        in_materials("Dyrkekasse på bein i {m}", lerk=2490, gran=1790),
    ),
    ProductType(
        "kompostbinge", "plantekasser-og-dyrking", "snekker", "box",
        "Kompostbinge i {materiale} med løse bord som gjør den lett å tømme.",
        "Bordene legges i spor i hjørnestolpene og kan løftes ut ett for ett når komposten skal snus. Flere "
        "binger kan settes side om side.",
        {"Mål": "100 × 100 × 70 cm", "Vekt": "30 kg"},
        in_materials("Kompostbinge i {m}", lerk=2990, gran=1990),
    ),
    ProductType(
        "fuglekasse", "fuglekasser-og-foring", "snekker", "birdhouse",
        "Fuglekasse i {materiale} for meiser, med 28 mm inngangshull.",
        "Taket kan åpnes, så kassen er lett å rengjøre etter hekkesesongen. Innsiden er ubehandlet og ru, slik "
        "at ungene kommer seg ut.",
        {"Mål": "15 × 15 × 28 cm", "Vekt": "1,2 kg", "Inngangshull": "28 mm"},
        in_materials("Fuglekasse i {m}", furu=349, gran=299, lerk=399),
    ),
    ProductType(
        "fuglebrett", "fuglekasser-og-foring", "snekker", "birdhouse",
        "Fuglebrett i {materiale} med tak, til vinterfôring.",
        "Brettet har en kant som holder frøene på plass og et tak som skjermer mot snø. Det kan henges i et "
        "tre eller skrus fast på en stolpe.",
        {"Mål": "35 × 30 × 30 cm", "Vekt": "2,5 kg"},
        in_materials("Fuglebrett i {m}", furu=449, lerk=549),
    ),
    ProductType(
        "insekthotell", "fuglekasser-og-foring", "snekker", "insecthotel",
        "Insekthotell i {materiale} for villbier og andre nyttige insekter.",
        "Rommene er fylt med bambusrør, borede kubber og kongler. Heng det på en solrik vegg, gjerne nær "
        "blomster.",
        {"Mål": "25 × 10 × 35 cm", "Vekt": "1,5 kg"},
        in_materials("Insekthotell i {m}", gran=399, lerk=449),
    ),
    ProductType(
        "flaggermuskasse", "fuglekasser-og-foring", "snekker", "birdhouse",
        "Flaggermuskasse i {materiale} med ru innside og smal inngang i bunnen.",
        "Kassen henges høyt på en vegg eller et tre, gjerne mot sør. Flaggermus er fredet i Norge, og en kasse "
        "gir dem et trygt sted å sove om dagen.",
        {"Mål": "30 × 10 × 45 cm", "Vekt": "2 kg"},
        in_materials("Flaggermuskasse i {m}", gran=449),
    ),
    ProductType(
        "balpanne", "bal-og-grill", "metall/sveis", "firepit",
        "Bålpanne i {materiale} med bein og håndtak.",
        "Panna er presset av 3 mm stålplate og har dreneringshull i bunnen, så regnvann renner ut. Håndtakene "
        "gjør den lett å flytte når den er kald.",
        {"Mål": "Ø 60 × 30 cm", "Vekt": "14 kg"},
        in_materials("Bålpanne i {m}", stål=1890, cortenstål=2490),
    ),
    ProductType(
        "grillrist", "bal-og-grill", "metall/sveis", "grate",
        "Grillrist i {materiale} som passer til bålpanna vår.",
        "Rista hviler på kanten av panna og kan dreies til side når du skal legge på mer ved. Den tåler "
        "oppvaskmaskin.",
        {"Mål": "Ø 55 cm", "Vekt": "2,5 kg"},
        (V("Grillrist til bålpanne", "rustfritt stål", 790),),
    ),
    ProductType(
        "vedstativ", "bal-og-grill", "metall/sveis", "lograck",
        "Vedstativ i {materiale} til stua eller terrassen.",
        "Stativet holder veden luftig og samlet og er sveiset av flattstål og rundstål. Det står stødig på "
        "gulvet med filtputer under bena.",
        {"Mål": "40 × 30 × 60 cm", "Vekt": "6 kg"},
        in_materials("Vedstativ i {m}", smijern=1590, cortenstål=1790),
    ),
    # Kjøkken og servering
    ProductType(
        "skjaerebrett", "skjaerebrett-og-fjoler", "snekker", "board",
        "Skjærebrett i {materiale} med håndtak og oppheng.",
        "Brettet er høvlet av ett stykke heltre og behandlet med matolje. Det er stort nok til brød og "
        "grønnsaker og kan henges på veggen.",
        {"Mål": "40 × 22 × 2 cm", "Vekt": "1 kg", "Vedlikehold": "Vaskes for hånd, oljes ved behov"},
        in_materials("Skjærebrett i {m}", bjørk=449, eik=549, ask=499),
    ),
    ProductType(
        "endevedsbrett", "skjaerebrett-og-fjoler", "snekker", "board",
        "Kraftig skjærebrett i {materiale}, limt med endeveden opp.",
        "Når kniven går ned mellom fibrene i stedet for på tvers av dem, holder både kniven og brettet lenger. "
        "Brettet har gummiføtter som hindrer at det sklir.",
        {"Mål": "45 × 30 × 4 cm", "Vekt": "3,5 kg", "Vedlikehold": "Vaskes for hånd, oljes ved behov"},
        in_materials("Endevedsbrett i {m}", eik=1290, bjørk=1090),
    ),
    ProductType(
        "serveringsfjol", "skjaerebrett-og-fjoler", "snekker", "board",
        "Smal serveringsfjøl i {materiale} til ost, spekemat og tapas.",
        "Fjøla er lang og smal og passer midt på bordet. Håndtaket har et hull til et lærbånd.",
        {"Mål": "60 × 14 × 2 cm", "Vekt": "0,8 kg"},
        in_materials("Serveringsfjøl i {m}", eik=399, ask=379),
    ),
    ProductType(
        "stekespade", "kjokkenredskap", "snekker", "utensil",
        "Stekespade i {materiale} som ikke riper pannene.",
        "Spaden er skåret og pusset for hånd og har en skrå kant som glir lett under maten. Den tåler varme, "
        "men bør ikke bli liggende i vann.",
        {"Lengde": "30 cm"},
        in_materials("Stekespade i {m}", bjørk=129, eik=149, einer=169),
    ),
    ProductType(
        "sleiv", "kjokkenredskap", "snekker", "utensil",
        "Rørsleiv i {materiale} til gryter og grøt.",
        "Sleiva har et langt skaft og et rundt blad som når helt ned i hjørnene av kjelen. Hvert eksemplar "
        "blir litt forskjellig.",
        {"Lengde": "32 cm"},
        in_materials("Sleiv i {m}", bjørk=129, einer=179),
    ),
    ProductType(
        "smorkniv", "kjokkenredskap", "snekker", "utensil",
        "Smørkniv i {materiale} med bredt blad.",
        "Bladet er tynt nok til kaldt smør og bredt nok til syltetøy. En fin liten gave.",
        {"Lengde": "18 cm"},
        in_materials("Smørkniv i {m}", einer=149, bjørk=99),
    ),
    ProductType(
        "salatbestikk", "kjokkenredskap", "snekker", "utensil",
        "Salatbestikk i {materiale} med lange skaft, to deler.",
        "Skjeen og gaffelen er formet for å gripe rundt bladene uten å knuse dem. Bestikket er behandlet med "
        "matolje.",
        {"Lengde": "30 cm"},
        in_materials("Salatbestikk i {m}", ask=249, eik=279),
    ),
    ProductType(
        "krus", "keramikk", "keramikk", "mug",
        "Dreid krus i {materiale} med plass til 3 dl.",
        "Kruset er dreid for hånd og har en god, bred hank. Glasuren varierer litt fra krus til krus.",
        {"Mål": "Ø 8 × 10 cm", "Volum": "3 dl"},
        (V("Krus i steintøy, blå glasur", "steintøy", 289, {"Farge": "Blå"}),
         V("Krus i steintøy, hvit glasur", "steintøy", 289, {"Farge": "Hvit"}),
         V("Krus i steintøy, grønn glasur", "steintøy", 289, {"Farge": "Grønn"})),
    ),
    ProductType(
        "skal", "keramikk", "keramikk", "bowl",
        "Skål i {materiale} til frokost, suppe eller servering.",
        "Skålen er dreid for hånd og glasert innvendig og på kanten. Den brede foten gjør at den står stødig.",
        {"Farge": "Naturhvit"},
        (V("Frokostskål i steintøy", "steintøy", 249, {"Mål": "Ø 15 × 7 cm"}),
         V("Serveringsskål i steintøy", "steintøy", 549, {"Mål": "Ø 26 × 10 cm"},
           summary="Stor serveringsskål i steintøy til salat, pasta eller frukt."),
         V("Dyp tallerken i steintøy", "steintøy", 269, {"Mål": "Ø 22 × 4 cm"},
           summary="Dyp tallerken i steintøy til suppe og gryteretter.")),
    ),
    ProductType(
        "vase", "keramikk", "keramikk", "vase",
        "Dreid vase i {materiale} med matt glasur.",
        "Vasen er tett og tåler vann, og den matte glasuren passer til både tørkede og friske blomster. Ingen "
        "vaser er helt like.",
        {"Farge": "Matt grå"},
        (V("Vase i steintøy, høy", "steintøy", 590, {"Mål": "Ø 12 × 30 cm"}),
         V("Vase i steintøy, liten", "steintøy", 349, {"Mål": "Ø 9 × 15 cm"})),
    ),
    ProductType(
        "kurv", "kurver-og-brett", "kurvfletting", "basket",
        "Håndflettet kurv i {materiale}, sterk nok til daglig bruk.",
        "Kurven er flettet for hånd av vidje fra egne felt. Den tåler å bli fuktig, men bør tørke godt mellom "
        "hver gang.",
        {},
        (V("Bærekurv i vidje", "vidje", 590, {"Mål": "30 × 20 × 18 cm"},
           summary="Flettet bærekurv i vidje med solid hank, til bærturen og hagen."),
         V("Brødkurv i vidje", "vidje", 390, {"Mål": "28 × 18 × 8 cm"},
           summary="Lav brødkurv i vidje til frokostbordet."),
         V("Vedkurv i vidje", "vidje", 990, {"Mål": "50 × 35 × 35 cm"},
           summary="Stor vedkurv i vidje med to håndtak.")),
    ),
    ProductType(
        "serveringsbrett", "kurver-og-brett", "snekker", "tray",
        "Serveringsbrett i {materiale} med høy kant og gripehull.",
        "Brettet har kant på alle sider og gripehull i endene, så det er lett å bære kopper og glass. Bunnen "
        "er felt inn i rammen.",
        {"Mål": "45 × 30 × 6 cm", "Vekt": "1,3 kg"},
        in_materials("Serveringsbrett i {m}", eik=690, bjørk=590),
    ),
    ProductType(
        "brodboks", "kurver-og-brett", "snekker", "box",
        "Brødboks i {materiale} med lokk som også er skjærebrett.",
        "Lokket kan snus og brukes som skjærebrett, og små lufthull bak hindrer at brødet blir fuktig. Boksen "
        "har plass til et stort brød.",
        {"Mål": "40 × 22 × 18 cm", "Vekt": "2,5 kg"},
        in_materials("Brødboks i {m}", bjørk=890, eik=990),
    ),
    # Tekstil
    ProductType(
        "handlenett", "vesker-og-bagger", "tekstil/søm", "bag",
        "Handlenett i {materiale} med lange hanker som går over skulderen.",
        "Nettet har doble sømmer i alle belastningspunkter og tåler tunge innkjøp. Det kan vaskes på 40 "
        "grader.",
        {"Mål": "38 × 42 cm", "Hankelengde": "65 cm"},
        in_materials("Handlenett i {m}", bomull=199, lin=249, seilduk=299),
    ),
    ProductType(
        "ryggsekk", "vesker-og-bagger", "tekstil/søm", "bag",
        "Ryggsekk i {materiale} med rullelukking og polstret rygg.",
        "Sekken rommer rundt 20 liter og har en egen lomme til bærbar PC. Rullelukkingen holder regnet ute.",
        {"Volum": "20 l", "Vekt": "0,9 kg"},
        in_materials("Ryggsekk i {m}", seilduk=1290),
    ),
    ProductType(
        "presenning", "vesker-og-bagger", "tekstil/søm", "bag",
        "Slitesterk bag i gjenbrukt presenning med glidelås og innerlomme.",
        "Hver veske er sydd av brukte lastebilpresenninger, så mønster og farger varierer. Sømmene er "
        "dobbeltsydd og kantene forsterket.",
        {},
        (V("Bag i gjenbrukt presenning", "presenning", 890, {"Mål": "50 × 30 × 25 cm"}),
         V("Toalettveske i gjenbrukt presenning", "presenning", 449, {"Mål": "24 × 14 × 12 cm"},
           summary="Toalettveske i gjenbrukt presenning med vanntett innside."),
         V("Pennal i gjenbrukt presenning", "presenning", 199, {"Mål": "22 × 8 cm"},
           summary="Pennal i gjenbrukt presenning med glidelås.")),
    ),
    ProductType(
        "forkle", "forklaer-og-arbeidsklaer", "tekstil/søm", "apron",
        "Forkle i {materiale} med stor lomme og justerbar nakkestropp.",
        "Forklet er langt nok til å beskytte klærne ved komfyren og arbeidsbenken. Stroppene er lange og kan "
        "knytes foran.",
        {"Mål": "70 × 90 cm"},
        in_materials("Forkle i {m}", lin=449, bomull=349),
    ),
    ProductType(
        "snekkerforkle", "forklaer-og-arbeidsklaer", "tekstil/søm", "apron",
        "Kraftig forkle i seilduk med lommer til verktøy.",
        "Forklet har fem lommer og en hammerløkke, og stroppene krysser på ryggen, så vekten fordeles over "
        "skuldrene. Kantene er forsterket med skinn.",
        {"Mål": "65 × 85 cm"},
        (V("Snekkerforkle i seilduk", "seilduk", 549),
         V("Grillforkle i seilduk og skinn", "seilduk", 890,
           summary="Grillforkle i seilduk med lommer og skinnkanter.")),
    ),
    ProductType(
        "grytekluter", "forklaer-og-arbeidsklaer", "tekstil/søm", "folded",
        "To tykke grytekluter i {materiale} med hempe.",
        "Klutene er vattert i tre lag og tåler varme gryter og stekebrett. De kan vaskes på 60 grader.",
        {"Mål": "20 × 20 cm"},
        (V("Grytekluter i lin, 2 stk", "lin", 149), V("Grytekluter i bomull, 2 stk", "bomull", 129)),
    ),
    ProductType(
        "putetrekk", "puter-og-pledd", "tekstil/søm", "pillow",
        "Putetrekk i {materiale} med skjult glidelås, 50 × 50 cm.",
        "Trekket er sydd med skjult glidelås og doble sømmer. Det passer til vanlig putefyll i samme mål.",
        {"Mål": "50 × 50 cm"},
        in_materials("Putetrekk i {m}", lin=399, ull=449, bomull=299),
    ),
    ProductType(
        "pledd", "puter-og-pledd", "tekstil/søm", "blanket",
        "Varmt pledd i norsk ull med frynser.",
        "Pleddet er vevd av norsk ull og kantet med frynser. Det passer i sofaen, på hytta eller med på tur.",
        {"Mål": "130 × 180 cm", "Vekt": "1,1 kg"},
        (V("Pledd i ull", "ull", 1290), V("Pledd i ull, rutet", "ull", 1390, {"Mønster": "Rutet"}),
         V("Babypledd i ull", "ull", 690, {"Mål": "70 × 90 cm", "Vekt": "0,4 kg"},
           summary="Mykt babypledd i norsk ull til vogn og seng.")),
    ),
    ProductType(
        "sittepute", "puter-og-pledd", "tekstil/søm", "pillow",
        "Tynn sittepute med ullstoff og bånd til å knyte fast.",
        "Puta er fylt med skum og trukket med ullstoff, og båndene holder den på plass. Trekket kan tas av og "
        "vaskes.",
        {},
        (V("Sittepute til benk, 120 cm", "ull", 690, {"Mål": "120 × 35 × 4 cm"}),
         V("Sittepute til stol", "ull", 249, {"Mål": "40 × 40 × 4 cm"})),
    ),
    ProductType(
        "kjokkenhandkle", "handklaer-og-kjokkentekstil", "tekstil/søm", "folded",
        "Kjøkkenhåndkle i {materiale} med hempe.",
        "Håndkleet suger godt og tørker raskt. Det blir mykere for hver vask.",
        {"Mål": "50 × 70 cm"},
        in_materials("Kjøkkenhåndkle i {m}", lin=199, bomull=149),
    ),
    ProductType(
        "handkle", "handklaer-og-kjokkentekstil", "tekstil/søm", "folded",
        "Tykt håndkle i frotté av økologisk bomull.",
        "Frottéen er tett og kraftig, og kantene er sydd med dobbel søm. Håndkleet tåler vask på 60 grader.",
        {},
        (V("Håndkle i frotté", "bomull", 249, {"Mål": "50 × 90 cm"}),
         V("Badehåndkle i frotté", "bomull", 449, {"Mål": "70 × 140 cm"})),
    ),
    ProductType(
        "duk", "handklaer-og-kjokkentekstil", "tekstil/søm", "folded",
        "Duk i lin som gir bordet et rolig og rustikt preg.",
        "Linet er forvasket, så det krymper lite. Det tåler vask på 60 grader og blir mykere med tiden.",
        {},
        (V("Duk i lin, 140 × 250 cm", "lin", 690, {"Mål": "140 × 250 cm"}),
         V("Servietter i lin, 4 stk", "lin", 349, {"Mål": "45 × 45 cm"},
           summary="Fire store servietter i lin."),
         V("Løper i lin", "lin", 349, {"Mål": "40 × 150 cm"}, summary="Smal bordløper i lin.")),
    ),
    # Trykk og papir
    ProductType(
        "notatbok", "notatboker", "trykkeri", "notebook",
        "Trådheftet notatbok med omslag i kraftig kartong.",
        "Boka er trådheftet og kan brettes helt flat. Papiret tåler både blyant og fyllepenn.",
        {"Papir": "100 g, FSC-merket"},
        (V("Notatbok A5, linjert", "papir", 149, {"Sider": "160"}),
         V("Notatbok A5, prikket", "papir", 149, {"Sider": "160"}),
         V("Notatbok A6 med strikk", "papir", 99, {"Sider": "96"}, summary="Liten notatbok med strikk, til lomma."),
         V("Skissebok A4", "papir", 229, {"Sider": "80", "Papir": "160 g, FSC-merket"},
           summary="Skissebok med tykt, blankt papir til tegning og akvarell."),
         V("Hyttebok med lerretsomslag", "papir", 299, {"Sider": "200"},
           summary="Innbundet hyttebok med lerretsomslag og linjerte sider.")),
    ),
    ProductType(
        "kort", "kort-og-konvolutter", "trykkeri", "cards",
        "Trykte kort med konvolutter i resirkulert papir.",
        "Motivene er tegnet og trykket i trykkeriet. Kortene er blanke på innsiden.",
        {"Format": "A6"},
        (V("Kortsett med norske fugler, 8 stk", "papir", 149),
         V("Julekort med konvolutt, 10 stk", "papir", 179),
         V("Takkekort, 6 stk", "papir", 99),
         V("Gavelapper, 20 stk", "papir", 79, {"Format": "5 × 8 cm"},
           summary="Gavelapper med hull og bomullssnor.")),
    ),
    ProductType(
        "plakat", "plakater-og-trykk", "trykkeri", "poster",
        "Plakat trykket på kraftig, matt papir; leveres uten ramme.",
        "Motivet er tegnet for Verkstedbutikken og trykket i et lite opplag. Plakaten sendes i en solid "
        "papprull.",
        {"Papir": "250 g matt"},
        (V("Plakat «Norske trær», 50 × 70 cm", "papir", 349, {"Mål": "50 × 70 cm"}),
         V("Plakat «Kystfyr», 30 × 40 cm", "papir", 249, {"Mål": "30 × 40 cm"}),
         V("Plakat «Sopp i skogen», 50 × 70 cm", "papir", 349, {"Mål": "50 × 70 cm"}),
         V("Silketrykk «Fjellrev», 30 × 40 cm", "papir", 449, {"Mål": "30 × 40 cm"},
           summary="Silketrykk i tre farger, nummerert og signert av trykkeriet.")),
    ),
    ProductType(
        "kalender", "kalendere", "trykkeri", "calendar",
        "Kalender med illustrasjoner fra norsk natur og god plass til notater.",
        "Kalenderen har norske helligdager og merkedager og er spiralinnbundet. Den har hull til oppheng og "
        "tåler å bli skrevet på med både blyant og kulepenn.",
        {},
        (V("Veggkalender 2027", "papir", 199, {"Mål": "30 × 42 cm"}),
         V("Bordkalender 2027", "papir", 149, {"Mål": "21 × 15 cm"}),
         V("Ukeplanlegger A4", "papir", 129, {"Mål": "21 × 30 cm"}, summary="Avrivningsblokk med én uke per ark."),
         V("Familiekalender 2027", "papir", 229, {"Mål": "30 × 60 cm"},
           summary="Familiekalender med fem kolonner, én for hver i huset.")),
    ),
    # Metall og verktøy
    ProductType(
        "oks", "okser-og-hageredskap", "metall/sveis", "axe",
        "Øks med smidd hode og skaft av ask, til ved og friluftsliv.",
        "Øksehodet er smidd og herdet, og skaftet er festet med kile av tre og stål. Øksa leveres med "
        "eggbeskytter i skinn.",
        {},
        (V("Øks med askeskaft", "ask", 790, {"Materiale": "Stål og ask", "Lengde": "60 cm", "Vekt": "1,4 kg"}),
         V("Vedkløyver med askeskaft", "ask", 990, {"Materiale": "Stål og ask", "Lengde": "80 cm", "Vekt": "2,6 kg"},
           summary="Tung vedkløyver med askeskaft som deler kubben med få slag."),
         V("Liten øks med bjørkeskaft", "bjørk", 590,
           {"Materiale": "Stål og bjørk", "Lengde": "38 cm", "Vekt": "0,8 kg"},
           summary="Lett øks med bjørkeskaft, til tursekken og hytta.")),
    ),
    ProductType(
        "hageredskap", "okser-og-hageredskap", "metall/sveis", "spade",
        "Solid hageredskap med skaft av norsk tre.",
        "Bladet er sveiset og slipt i verkstedet, og skaftet er festet med gjennomgående nagle. Redskapen er "
        "laget for å vare i mange sesonger.",
        {},
        (V("Planteskje i rustfritt stål", "rustfritt stål", 199, {"Lengde": "30 cm"},
           summary="Planteskje i rustfritt stål med skaft av ask."),
         V("Ugressjern med eikeskaft", "eik", 229, {"Lengde": "28 cm"},
           summary="Smalt ugressjern som får med seg hele roten."),
         V("Spade med askeskaft", "ask", 590, {"Lengde": "115 cm"},
           summary="Spiss spade med skaft av ask og trådd på bladet."),
         V("Løvrive med askeskaft", "ask", 349, {"Lengde": "150 cm"},
           summary="Løvrive med fjærende stålfingre og langt skaft av ask.")),
    ),
    ProductType(
        "lysestake", "lysestaker-og-lykter", "metall/sveis", "candle",
        "Lysestake i {materiale} for vanlige kronelys.",
        "Lysestaken er formet og sveiset for hånd og står stødig på en tung fot. Bruk aldri levende lys uten "
        "tilsyn.",
        {"Høyde": "22 cm"},
        in_materials("Lysestake i {m}", smijern=349, messing=490)
        + (V("Adventsstake i smijern", "smijern", 690, {"Mål": "40 × 12 cm"},
             summary="Adventsstake i smijern for fire kronelys."),
           V("Telysholdere i smijern, 3 stk", "smijern", 199, {"Høyde": "8 cm"},
             summary="Tre telysholdere i smijern.")),
    ),
    ProductType(
        "lykt", "lysestaker-og-lykter", "metall/sveis", "lantern",
        "Lykt i smijern med glass og hempe til oppheng.",
        "Lykta har glass på fire sider og en dør med stållås. Den passer til kubbelys og kan stå ute.",
        {},
        (V("Lykt i smijern", "smijern", 590, {"Høyde": "30 cm"}),
         V("Lykt i smijern, stor", "smijern", 890, {"Høyde": "45 cm"})),
    ),
    ProductType(
        "knaggrekke", "knagger-og-beslag", "metall/sveis", "hooks",
        "Knaggrekke med fire smidde knagger, klar til å skrus på veggen.",
        "Knaggene er smidd i verkstedet og festet gjennom brettet med skruer. Rekka leveres med skruer og "
        "plugger.",
        {"Mål": "60 × 10 cm"},
        (V("Knaggrekke i eik med smijernsknagger", "eik", 690),
         V("Knaggrekke i furu med smijernsknagger", "furu", 490)),
    ),
    ProductType(
        "beslag", "knagger-og-beslag", "metall/sveis", "hooks",
        "Smidde beslag i {materiale} med sort, matt overflate.",
        "Beslagene er smidd og sveiset i verkstedet og lakkert matt sort. Skruer følger med.",
        {},
        (V("Knagger i smijern, 2 stk", "smijern", 149, {"Mål": "12 cm"}),
         V("Dørhåndtak i smijern", "smijern", 249, {"Mål": "16 cm"},
           summary="Smidd dørhåndtak for låve, bod eller skapdør."),
         V("Hyllekonsoller i stål, 2 stk", "stål", 249, {"Mål": "20 × 15 cm", "Bæreevne": "25 kg per par"},
           summary="To hyllekonsoller i stål for hyller opptil 25 cm dype.")),
    ),
    ProductType(
        "verktoykasse", "verktoy-og-verksted", "snekker", "toolbox",
        "Åpen verktøykasse i {materiale} med håndtak og to rom.",
        "Kassen har et gjennomgående håndtak og to rom med plass til verktøy i full størrelse. Den tåler å bli "
        "satt hardt fra seg.",
        {"Mål": "50 × 25 × 30 cm"},
        in_materials("Verktøykasse i {m}", bjørk=690, furu=590),
    ),
    ProductType(
        "sagbukk", "verktoy-og-verksted", "snekker", "bench",
        "Sammenleggbar sagbukk i {materiale}, selges parvis.",
        "Bukkene tåler 150 kilo hver og kan felles sammen når de ikke er i bruk. Toppen er et offerbrett som "
        "kan skiftes ut.",
        {"Mål": "80 × 50 × 75 cm", "Vekt": "12 kg per par"},
        in_materials("Sagbukker i {m}, 2 stk", gran=890, furu=990),
    ),
    ProductType(
        "arbeidsbenk", "verktoy-og-verksted", "snekker", "table",
        "Robust arbeidsbenk med plate i {materiale} og hylle under.",
        "Benken har en 40 mm tykk plate og en stålramme, og høyden passer for arbeid stående. Den lages etter "
        "bestilling, og lengden kan tilpasses.",
        {"Mål": "150 × 70 × 90 cm", "Vekt": "45 kg"},
        (V("Arbeidsbenk for hobbyverksted", "bjørk", 4990),),
        made_to_order=True, lead_time_days=35,
    ),
    ProductType(
        "verktoytavle", "verktoy-og-verksted", "metall/sveis", "hooks",
        "Perforert verktøytavle i {materiale} med ti kroker.",
        "Tavla skrus på veggen og gir oversikt over verktøyet. Krokene kan flyttes fritt.",
        {"Mål": "80 × 60 cm"},
        in_materials("Verktøytavle i {m}", stål=1290),
    ),
    # Barn og lek
    ProductType(
        "lekebil", "treleker", "snekker", "toycar",
        "Lekebil i bjørk med hjul som går lett.",
        "Bilen er laget av massiv bjørk og behandlet med barnevennlig olje. Hjulene sitter på akslinger av tre "
        "og kan ikke løsne.",
        {"Alder": "Fra 18 måneder"},
        (V("Lekebil i bjørk", "bjørk", 349, {"Mål": "18 × 9 × 9 cm"}),
         V("Lastebil i bjørk", "bjørk", 449, {"Mål": "28 × 11 × 12 cm"},
           summary="Stor lastebil i bjørk med lasteplan som kan vippes."),
         V("Traktor i bjørk", "bjørk", 449, {"Mål": "22 × 12 × 14 cm"},
           summary="Traktor i bjørk med store bakhjul.")),
    ),
    ProductType(
        "byggeklosser", "treleker", "snekker", "blocks",
        "Byggeklosser i bjørk i fem ulike former, levert i trekasse.",
        "Klossene er kappet etter samme mål, så de passer sammen uansett hvordan de stables. Kantene er slipt "
        "og avrundet.",
        {"Alder": "Fra 1 år"},
        (V("Byggeklosser i bjørk, 30 stk", "bjørk", 449), V("Byggeklosser i bjørk, 60 stk", "bjørk", 749)),
    ),
    ProductType(
        "dukkevogn", "treleker", "snekker", "pram",
        "Dukkevogn i bjørk med store hjul og håndtak i riktig høyde for små barn.",
        "Vogna er stødig nok til at barn kan støtte seg på den når de lærer å gå. Alle flater er behandlet med "
        "barnevennlig olje.",
        {"Alder": "Fra 1 år"},
        (V("Dukkevogn i bjørk", "bjørk", 1490, {"Mål": "50 × 30 × 50 cm"}),
         V("Dukkeseng i furu", "furu", 690, {"Mål": "50 × 30 × 25 cm"},
           summary="Dukkeseng i furu med madrass og dyne i bomull.")),
    ),
    ProductType(
        "trekkdyr", "treleker", "snekker", "animal",
        "Trekkdyr i bjørk med snor og hjul.",
        "Dyret er saget ut av tykk bjørk og har hjul på treakslinger. Snora er av bomull.",
        {"Alder": "Fra 1 år"},
        (V("Trekkdyr «Elg» i bjørk", "bjørk", 299), V("Trekkdyr «Hest» i bjørk", "bjørk", 299)),
    ),
    ProductType(
        "barnestol", "barnemobler", "snekker", "chair",
        "Liten stol i bjørk i riktig høyde for barn fra tre år.",
        "Stolen er satt sammen med tapp og lim og tåler mye bruk. Kantene er avrundet og behandlet med "
        "barnevennlig olje.",
        {},
        (V("Barnestol i bjørk", "bjørk", 990, {"Setehøyde": "30 cm"}),
         V("Barnekrakk i bjørk", "bjørk", 490, {"Høyde": "25 cm"},
           summary="Lav barnekrakk i bjørk som også kan brukes som trappetrinn ved vasken.")),
    ),
    ProductType(
        "barnebord", "barnemobler", "snekker", "table",
        "Barnebord i {materiale} med avrundede hjørner.",
        "Bordet er lavt og stødig og har avrundede hjørner. Det lages etter bestilling.",
        {"Mål": "70 × 50 × 50 cm"},
        (V("Barnebord med to stoler", "bjørk", 2490, summary="Barnebord i bjørk med to stoler."),
         V("Tegnebord med papirrull", "bjørk", 1890, summary="Tegnebord i bjørk med papirrull og kritthylle.")),
        made_to_order=True, lead_time_days=21,
    ),
    ProductType(
        "kubbspill", "spill-og-puslespill", "snekker", "blocks",
        "Kubbspill med konge, kastepinner og hjørnepinner, levert i bag.",
        "Spillet er kappet og slipt i verkstedet og tåler å bli kastet med. Regler på norsk følger med.",
        {},
        in_materials("Kubbspill i {m}", bjørk=599, furu=449),
    ),
    ProductType(
        "brettspill", "spill-og-puslespill", "snekker", "chess",
        "Brettspill i tre med brikker i bomullspose.",
        "Brettet er laget med innfelte ruter og behandlet med olje. Brikkene oppbevares i en pose av bomull.",
        {},
        (V("Sjakkbrett i eik og bjørk", "eik", 990, {"Mål": "40 × 40 cm"},
           summary="Sjakkbrett med ruter i eik og bjørk og brikker i bjørk."),
         V("Mølle i tre", "bjørk", 249, {"Mål": "25 × 25 cm"}, summary="Mølle i bjørk, et spill for to."),
         V("Bondesjakk i tre", "bjørk", 199, {"Mål": "15 × 15 cm"},
           summary="Bondesjakk i bjørk med ni brikker av hver farge."),
         V("Puslespill i tre, 12 biter", "bjørk", 249, {"Mål": "25 × 25 cm", "Alder": "Fra 3 år"},
           summary="Puslespill i bjørk med tolv store biter.",
           description="Bitene er saget ut med fin sag og malt med barnevennlig maling. De er store nok til "
                       "små hender.")),
    ),
    # Mat og bakst (redusert MVA)
    ProductType(
        "brod", "brod-og-bakst", "storkjøkken/bakeri", "bread",
        "Bakst fra storkjøkkenet, uten tilsetningsstoffer.",
        "Baksten lages samme dag som den hentes, uten tilsetningsstoffer. Den selges bare med henting ved "
        "enheten.",
        {"Levering": "Henting ved enheten", "Holdbarhet": "3 dager"},
        (V("Surdeigsbrød", None, 69, {"Vekt": "800 g", "Allergener": "Hvete"},
           summary="Luftig surdeigsbrød med sprø skorpe."),
         V("Grovbrød med solsikkekjerner", None, 59, {"Vekt": "750 g", "Allergener": "Hvete, rug"},
           summary="Grovt brød med solsikkekjerner og havre."),
         V("Kanelboller, 6 stk", None, 99, {"Allergener": "Hvete, melk, egg"},
           summary="Seks store kanelboller med kardemomme i deigen."),
         V("Knekkebrød med frø, 250 g", None, 69, {"Levering": "Sendes", "Holdbarhet": "3 måneder",
                                                   "Allergener": "Sesam"},
           summary="Sprøtt knekkebrød med frø og havre.",
           description="Knekkebrødet bakes tynt og tørkes lenge, så det holder seg i måneder. Pakket i "
                       "papirpose som kan sendes."),
         V("Julekaker, sortert 500 g", None, 189, {"Levering": "Sendes", "Holdbarhet": "6 uker",
                                                   "Allergener": "Hvete, melk, egg, mandler"},
           summary="Sju slag julekaker i boks.",
           description="Sandkaker, serinakaker, krumkaker og flere til, bakt etter gamle oppskrifter. Boksen "
                       "kan sendes.")),
        vat_rate_bp=FOOD,
    ),
    ProductType(
        "syltetoy", "syltetoy-og-saft", "storkjøkken/bakeri", "jar",
        "Syltetøy kokt i små porsjoner med lite tilsatt sukker.",
        "Syltetøyet kokes av norske bær og tappes på glass med skrulokk. Uåpnet holder det seg i ett år; etter "
        "åpning oppbevares det kjølig.",
        {"Vekt": "350 g", "Holdbarhet": "12 måneder"},
        (V("Bringebærsyltetøy, 350 g", None, 89), V("Tyttebærsyltetøy, 350 g", None, 89),
         V("Rabarbrasyltetøy med vanilje, 350 g", None, 89)),
        vat_rate_bp=FOOD,
    ),
    ProductType(
        "saft", "syltetoy-og-saft", "storkjøkken/bakeri", "bottle",
        "Saft kokt på norske bær og frukt, blandes med vann.",
        "Safta kokes i storkjøkkenet og tappes varm på flasker. Uåpnet holder den seg i et år.",
        {"Holdbarhet": "12 måneder"},
        (V("Solbærsaft, 0,5 l", None, 79, {"Volum": "0,5 l"}), V("Rabarbrasaft, 0,5 l", None, 79, {"Volum": "0,5 l"}),
         V("Eplemost, 1 l", None, 69, {"Volum": "1 l"}, summary="Ufiltrert eplemost presset av norske epler.")),
        vat_rate_bp=FOOD,
    ),
    ProductType(
        "honning", "gardsprodukter", "landbruk", "jar",
        "Honning fra egne bikuber, slynget og tappet på gården.",
        "Biene står på gården gjennom hele sesongen og henter nektar fra kløver, frukttrær og markblomster. "
        "Honningen er kaldslynget og ufiltrert.",
        {"Vekt": "250 g", "Holdbarhet": "2 år"},
        (V("Sommerhonning, 250 g", None, 149), V("Lynghonning, 250 g", None, 169,
                                               summary="Mørk og kraftig lynghonning fra sensommeren.")),
        vat_rate_bp=FOOD, units=("bastoy-fengsel", "vik-fengsel"),
    ),
    ProductType(
        "urtete", "gardsprodukter", "landbruk", "jar",
        "Tørkede urter og frukt fra gårdens egen hage.",
        "Urtene og frukten høstes for hånd og tørkes skånsomt. Pakket i papirpose med lukking.",
        {"Holdbarhet": "12 måneder"},
        (V("Urtete med mynte og ringblomst, 40 g", None, 79, {"Vekt": "40 g"}),
         V("Tørkede epleringer, 100 g", None, 69, {"Vekt": "100 g"},
           summary="Tørkede epleringer uten tilsatt sukker.")),
        vat_rate_bp=FOOD,
    ),
)


# --- Services ---------------------------------------------------------------------------------

def service(title: str, category: str, trade: str, shape: str, price_kr: int, summary: str, description: str,
            attributes: dict[str, Any], *, lead_time_days: int = 10, vat_rate_bp: int = 2500) -> ProductType:
    """A one-variant service type: services are listed one by one, never from materials."""
    return ProductType(
        title, category, trade, shape, summary, description, attributes,
        (Variant(title, None, price_kr),), kind="service", vat_rate_bp=vat_rate_bp, lead_time_days=lead_time_days,
    )



SERVICES: tuple[ProductType, ...] = (
    service("Vask av arbeidsklær, per kg", "vask-og-rens", "vaskeri", "washer", 65,
            "Vask, tørk og bretting av arbeidsklær for bedrifter og offentlige virksomheter.",
            "Klærne hentes og leveres etter avtale. Vi sorterer, flekkbehandler og vasker etter vaskeanvisningen.",
            {"Pris per": "kg", "Minstebestilling": "10 kg"}, lead_time_days=7),
    service("Vask og mangling av duker, per stk", "vask-og-rens", "vaskeri", "washer", 49,
            "Vask, stivning og mangling av duker til selskap og serveringssteder.",
            "Dukene vaskes på høy temperatur, stives lett og mangles. De leveres brettet og klare til bruk.",
            {"Pris per": "duk"}, lead_time_days=7),
    service("Vask av sengetøy for overnattingssteder, per kg", "vask-og-rens", "vaskeri", "washer", 55,
            "Fast vask av sengetøy og håndklær for hytter, pensjonater og campingplasser.",
            "Vi lager en fast hente- og leveringsplan for sesongen. Sengetøyet vaskes på 60 grader og leveres "
            "mangelet og brettet.", {"Pris per": "kg", "Minstebestilling": "20 kg"}, lead_time_days=7),
    service("Rens av dyner og puter, per stk", "vask-og-rens", "vaskeri", "washer", 249,
            "Vask og tørk av dyner og puter med dun eller fiber.",
            "Dynene vaskes skånsomt og tørkes lenge med tennisballer, så fyllet blir luftig igjen. Sterkt "
            "tilsmussede dyner vurderes før vask.", {"Pris per": "stk"}, lead_time_days=10),
    service("Trykk av visittkort, 250 stk", "trykketjenester", "trykkeri", "printer", 590,
            "Visittkort i firefarger på kraftig, matt papir.",
            "Send oss en trykklar PDF, eller be om hjelp med oppsettet. Du får korrektur før vi trykker.",
            {"Format": "85 × 55 mm", "Papir": "350 g matt"}, lead_time_days=10),
    service("Trykk av brosjyrer A5, 500 stk", "trykketjenester", "trykkeri", "printer", 2490,
            "Falsede brosjyrer i A5 på FSC-merket papir.",
            "Vi trykker, falser og pakker brosjyrene klare for utsending. Du får korrektur før vi trykker.",
            {"Format": "A5, falset fra A4", "Papir": "130 g silk"}, lead_time_days=14),
    service("Silketrykk på t-skjorter, per stk", "trykketjenester", "trykkeri", "printer", 89,
            "Silketrykk i én farge på t-skjorter du leverer, eller som vi skaffer.",
            "Trykket er vaskeekte og tåler 60 grader. Prisen gjelder fra 20 plagg med samme motiv.",
            {"Pris per": "plagg", "Minstebestilling": "20 stk"}, lead_time_days=14),
    service("Innbinding av oppgaver, per eksemplar", "trykketjenester", "trykkeri", "printer", 149,
            "Innbinding av masteroppgaver, rapporter og hyttebøker med harde permer.",
            "Vi binder inn med lerretsrygg og preging på forsiden. Lever filen digitalt eller ferdig utskrevet.",
            {"Pris per": "eksemplar"}, lead_time_days=7),
    service("Omtrekking av spisestolsete", "mobelrestaurering", "møbeltapetsering", "armchair", 690,
            "Nytt stopp og nytt trekk på setet til spisestolen.",
            "Vi fjerner det gamle trekket, bygger opp setet på nytt og trekker det med stoff du velger. "
            "Prisen gjelder per sete, med stoff fra vårt utvalg.", {"Pris per": "sete"}, lead_time_days=21),
    service("Omtrekking av lenestol", "mobelrestaurering", "møbeltapetsering", "armchair", 3990,
            "Lenestolen din får nye fjærer, nytt stopp og nytt trekk.",
            "Vi tar stolen helt ned til rammen, reparerer det som trengs og bygger den opp igjen. Prisen er en "
            "fra-pris; du får et fast tilbud når vi har sett stolen.", {"Pris": "Fra-pris"}, lead_time_days=42),
    service("Restaurering av kommode", "mobelrestaurering", "snekker", "saw", 2990,
            "Liming, sliping og ny overflate på en gammel kommode.",
            "Løse sammenføyninger limes, skuffene justeres, og overflaten slipes og behandles på nytt. Prisen er "
            "en fra-pris.", {"Pris": "Fra-pris"}, lead_time_days=35),
    service("Liming av løse stoler, per stol", "mobelrestaurering", "snekker", "saw", 490,
            "Vi tar fra hverandre og limer løse stoler, så de blir stødige igjen.",
            "Gammelt lim fjernes, og sammenføyningene limes og presses på nytt. Overflaten blir ikke berørt.",
            {"Pris per": "stol"}, lead_time_days=21),
    service("Sveisereparasjon av hagemøbler i metall", "sveising-og-reparasjon", "metall/sveis", "wrench", 690,
            "Reparasjon av knekte sveiser og bein på hagemøbler i stål og jern.",
            "Vi sveiser, sliper og flekklakkerer der det trengs. Prisen gjelder per møbel for vanlige skader.",
            {"Pris per": "møbel"}, lead_time_days=14),
    service("Sliping av kniver og økser, per stk", "sveising-og-reparasjon", "metall/sveis", "wrench", 79,
            "Sliping av kjøkkenkniver, økser og hageredskap.",
            "Eggen slipes på vannkjølt slipestein og brynes til slutt. Skader i eggen slipes bort.",
            {"Pris per": "stk"}, lead_time_days=7),
    service("Sandblåsing og lakkering, per time", "sveising-og-reparasjon", "metall/sveis", "wrench", 790,
            "Sandblåsing og ny lakk på rekkverk, porter og møbler i metall.",
            "Vi blåser bort gammel maling og rust og lakkerer på nytt. Du får et overslag før vi starter.",
            {"Pris per": "time"}, lead_time_days=21),
    service("Sveiseoppdrag etter tegning, per time", "sveising-og-reparasjon", "metall/sveis", "wrench", 690,
            "Små sveiseoppdrag i stål etter tegning eller skisse.",
            "Send oss en tegning, så lager vi et tilbud med pris og leveringstid. Materialer faktureres i "
            "tillegg.", {"Pris per": "time"}, lead_time_days=21),
    # Catering is food delivered, not served, so it carries the reduced rate.
    service("Lunsjbuffet til møter, per person", "catering", "storkjøkken/bakeri", "cloche", 189,
            "Varm suppe, brød, pålegg og salat til møter og kurs.",
            "Maten lages samme dag og leveres klar til servering. Si fra om allergier når du bestiller.",
            {"Pris per": "person", "Minstebestilling": "10 personer"}, lead_time_days=5, vat_rate_bp=FOOD),
    service("Møtebakst og kaffe, per person", "catering", "storkjøkken/bakeri", "cloche", 89,
            "Ferske boller, kake og frukt med kaffe og te på termos.",
            "Bakst og termoser leveres en halvtime før møtet starter. Termosene hentes igjen etterpå.",
            {"Pris per": "person", "Minstebestilling": "10 personer"}, lead_time_days=3, vat_rate_bp=FOOD),
    service("Smørbrødfat, 12 halve", "catering", "storkjøkken/bakeri", "cloche", 690,
            "Fat med tolv halve smørbrød med varierte pålegg.",
            "Smørbrødene smøres samme morgen og pyntes med grønt. Fatet leveres med lokk.",
            {"Pris per": "fat"}, lead_time_days=3, vat_rate_bp=FOOD),
    service("Kakebord til jubileum, per person", "catering", "storkjøkken/bakeri", "cloche", 79,
            "Tre slags kaker til jubileum, avslutning eller minnestund.",
            "Vi baker bløtkake, sjokoladekake og en kake etter sesong. Kakene leveres på fat, klare til bordet.",
            {"Pris per": "person", "Minstebestilling": "20 personer"}, lead_time_days=7, vat_rate_bp=FOOD),
    service("Hyller etter mål, per løpemeter", "snekkeroppdrag", "snekker", "saw", 890,
            "Hyller i heltre laget etter målene i din nisje eller bod.",
            "Send oss mål og ønsket treslag, så får du et tilbud med tegning. Hyllene leveres klare til montering.",
            {"Pris per": "løpemeter"}, lead_time_days=28),
    service("Skilt i tre med fresing", "snekkeroppdrag", "snekker", "saw", 1490,
            "Skilt i eik eller lerk med frest tekst til hytte, gård eller inngang.",
            "Vi freser teksten du ønsker og behandler skiltet for å tåle vær og vind. Du får korrektur før vi "
            "freser.", {"Mål": "Opptil 60 × 20 cm"}, lead_time_days=21),
    service("Utemøbler til barnehager og skoler, etter avtale", "snekkeroppdrag", "snekker", "saw", 4990,
            "Benker, bord og sandkasser i lerk til barnehager, skoler og borettslag.",
            "Vi lager utemøbler i serie etter deres behov og leverer ferdig montert i nærområdet. Prisen er en "
            "fra-pris per møbel.", {"Pris": "Fra-pris"}, lead_time_days=42),
)


# --- Stock, featured products and logins -------------------------------------------------------

FEATURED = (
    "Benk i eik", "Skjærebrett i bjørk", "Øks med askeskaft", "Bærekurv i vidje", "Pledd i ull",
    "Kubbspill i bjørk", "Bålpanne i cortenstål", "Plakat «Norske trær», 50 × 70 cm", "Sommerhonning, 250 g",
    "Omtrekking av lenestol",
)

# National designs made in several workshops: title -> the second unit that also stocks it.
SECOND_STOCKISTS = {
    "Benk i eik": "ullersmo-fengsel",
    "Skjærebrett i bjørk": "trondheim-fengsel",
    "Fuglekasse i furu": "sandeid-fengsel",
    "Handlenett i bomull": "kongsvinger-fengsel",
    "Krakk i furu": "ringerike-fengsel",
    "Kubbspill i bjørk": "halden-fengsel",
}

# role -> (e-mail, password, what the login is). Demo passwords only, printed by `flask seed-demo`.
LOGINS: dict[str, tuple[str, str, str, str | None]] = {
    "customer": ("kunde@verkstedbutikken.no", "demo-kunde", "Demo Kunde", None),
    "staff": ("verksted@verkstedbutikken.no", "demo-verksted", "Demo Verkstedleder", STAFF_UNIT_SLUG),
    "coordinator": ("koordinator@verkstedbutikken.no", "demo-koord", "Demo Koordinator", OPERATOR_UNIT_SLUG),
    "admin": ("admin@verkstedbutikken.no", "demo-admin", "Demo Administrator", None),
}


# --- Benchmark catalogue words -----------------------------------------------------------------

# Series names, finishes/colours and sizes combined with the demo variants to make varied bench titles.
SERIES = (
    "Fjord", "Tind", "Lyng", "Skjær", "Myr", "Vidde", "Kyst", "Elv", "Tun", "Stabbur", "Høst", "Vår", "Nordlys",
    "Fjære", "Bølge", "Morild", "Seter", "Dugg", "Rim", "Lun", "Ås", "Li", "Bekk", "Holme", "Naust", "Bu", "Skog",
    "Fjell", "Brygge", "Sæter", "Grønn", "Jøkul", "Fonn", "Hei", "Vik", "Øy", "Sund", "Sol", "Måne", "Stjerne",
)
BENCH_COLOURS = {
    "mobler": ("natur", "hvitpigmentert", "sortbeiset", "grønnbeiset", "røkt", "lys grå", "mørk valnøtt"),
    "hage-og-uterom": ("natur", "grå", "sort", "falurød", "skogsgrønn", "oker"),
    "kjokken-og-servering": ("natur", "hvit", "blå", "sort", "terrakotta", "salviegrønn", "lys grå"),
    "tekstil": ("naturhvit", "mørkeblå", "skogsgrønn", "rust", "grå", "sennepsgul", "lyng", "sort"),
    "trykk-og-papir": ("blå", "grønn", "oker", "rosa", "sort", "kremhvit", "rød"),
    "metall-og-verktoy": ("sort", "grafitt", "rustbrun", "antikk messing", "hvit", "grønn"),
    "barn-og-lek": ("natur", "rød", "gul", "blå", "grønn", "rosa"),
    "mat-og-bakst": ("klassisk", "økologisk", "med vanilje", "med kardemomme", "sukkerfri", "med ingefær"),
}
BENCH_SIZES = {
    "mobler": ("60 cm", "80 cm", "100 cm", "120 cm", "140 cm", "160 cm", "180 cm"),
    "hage-og-uterom": ("liten", "medium", "stor", "ekstra stor"),
    "mat-og-bakst": ("liten", "stor", "familiepakke", "storkjøkkenpakke"),
}
DEFAULT_BENCH_SIZES = ("liten", "medium", "stor")
