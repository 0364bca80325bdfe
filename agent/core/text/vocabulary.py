"""Vocabularies of the grounding verifier: object words, hypernyms, numbers, direction words.

Only data and the small functions that expand it live here; `agent.llm.verify` uses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.core.text.en import plural
from agent.core.text.phrases import Phrases, phrases, words
from agent.core.text.uk import _NOUNS
from pipelines.models.labels import coco80_names


@dataclass(frozen=True, slots=True)
class Sense:
    """What an object word means: one label, or the labels a hypernym ('animal') covers."""

    labels: frozenset[str]
    name: str  # the label, or the hypernym's head word, for messages
    plural: bool = False  # an English plural form ('cows'), for agreement checks
    hypernym: bool = False


# Labels of custom farm detectors that COCO lacks.
FARM_LABELS = (
    "fox",
    "goat",
    "pig",
    "chicken",
    "duck",
    "goose",
    "deer",
    "rabbit",
    "badger",
    "wolf",
    "rat",
    "turkey",
)

# COCO labels that are mostly adjectives or verbs in sentences ('an orange cat', 'a remote
# corner'): their singular is only recognised when the label is in the facts.
AMBIGUOUS = frozenset({"orange", "tie", "remote", "sink"})

# Word specs: "man/men" gives singular and plural, "cattle/" a word with no plural,
# "/people" a plural only; a bare word takes the plural of agent.core.text.en.plural.
EN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": (
        "/people",
        "man/men",
        "woman/women",
        "someone/",
        "somebody/",
        "visitor",
        "child/children",
        "kid",
        "human",
        "pedestrian",
        "guy",
        "individual",
        "stranger",
        "intruder",
        "boy",
        "girl",
        "worker",
        "farmer",
        "/folks",
    ),
    "cow": ("cattle/", "calf/calves", "heifer", "bull", "ox/oxen", "steer"),
    "dog": ("puppy", "pup", "hound", "doggy"),
    "cat": ("kitten", "kitty"),
    "horse": ("pony", "foal", "mare", "stallion"),
    "sheep": ("lamb", "ewe"),
    "pig": ("hog", "piglet", "swine/swine", "boar"),
    "chicken": ("hen", "rooster", "chick", "cockerel"),
    "duck": ("duckling",),
    "goose": ("gosling",),
    "deer": ("doe", "stag", "fawn", "roe deer"),
    "rabbit": ("bunny", "hare"),
    "fox": ("vixen",),
    "car": ("automobile", "sedan", "suv", "hatchback"),
    "motorcycle": ("motorbike", "moped"),
    "bicycle": ("bike",),
    "airplane": ("plane", "aeroplane", "aircraft/aircraft", "jet"),
    "boat": ("ship",),
    "truck": ("lorry", "pickup truck"),
    "bus": ("minibus",),
    "train": ("locomotive",),
    "tv": ("television", "tv set"),
    "cell phone": ("phone", "mobile phone", "smartphone", "cellphone"),
    "couch": ("sofa",),
    "dining table": ("table",),
    "potted plant": ("plant", "houseplant", "flowerpot", "pot plant"),
    "sports ball": ("ball", "football", "soccer ball"),
    "handbag": ("purse",),
    "backpack": ("rucksack",),
    "refrigerator": ("fridge",),
    "hair drier": ("hair dryer", "hairdryer"),
    "donut": ("doughnut",),
    "traffic light": ("traffic signal",),
    "teddy bear": ("teddy", "stuffed animal", "stuffed toy"),
    "fire hydrant": ("hydrant",),
    "skis": ("ski",),
    "mouse": ("computer mouse",),
    "remote": ("remote control",),
    "tie": ("necktie",),
    "tennis racket": ("racket", "racquet", "tennis racquet"),
}

_ANIMALS = frozenset(
    {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"}
    | set(FARM_LABELS)
)
_BIRDS = frozenset({"bird", "chicken", "duck", "goose", "turkey"})
_LIVESTOCK = frozenset({"cow", "sheep", "horse", "goat", "pig"} | _BIRDS)
_VEHICLES = frozenset({"bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"})

# Hypernym head -> (word specs, labels it covers).
EN_HYPERNYMS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "animal": (("animal", "creature", "beast"), _ANIMALS),
    "livestock": (("livestock/", "farm animal"), _LIVESTOCK),
    "bird": (("bird", "poultry/", "fowl/fowl"), _BIRDS),
    "pet": (("pet",), frozenset({"cat", "dog"})),
    "wild animal": (
        ("wildlife/", "wild animal", "predator"),
        frozenset({"fox", "deer", "badger", "wolf", "bear", "rabbit", "rat"}),
    ),
    "vehicle": (("vehicle",), _VEHICLES),
    "van": (("van", "pickup"), frozenset({"car", "truck", "bus"})),
    "bag": (("bag", "luggage/"), frozenset({"handbag", "backpack", "suitcase"})),
    "furniture": (("furniture/",), frozenset({"chair", "couch", "bed", "dining table", "bench"})),
}

# Ukrainian paradigms: (one, few, many, ...); a case-ending stem comes from the `few` form
# (it keeps the vowel of oblique cases: кіт -> коти -> кота). One-word tuples match exactly.
UK_EXTRA: dict[str, tuple[tuple[str, ...], ...]] = {
    "person": (
        ("люди", "люди", "людей", "людьми"),
        ("чоловік", "чоловіки", "чоловіків"),
        ("жінка", "жінки", "жінок"),
        ("особа", "особи", "осіб"),
        ("хтось",),
        ("когось",),
        ("відвідувач", "відвідувачі", "відвідувачів"),
        ("дитина", "дитини", "дітей"),
        ("діти", "діти", "дітей", "дітьми"),
        ("пішохід", "пішоходи", "пішоходів"),
        ("хлопець", "хлопці", "хлопців"),
        ("дівчина", "дівчини", "дівчат"),
        ("гість", "гості", "гостей"),
        ("працівник", "працівники", "працівників"),
        ("фермер", "фермери", "фермерів"),
        ("незнайомець", "незнайомці", "незнайомців"),
    ),
    "cow": (
        ("бик", "бики", "биків"),
        ("бичок", "бички", "бичків"),
        ("теля", "телята", "телят"),
        ("телиця", "телиці", "телиць"),
    ),
    "horse": (("кобила", "кобили", "кобил"), ("лоша", "лошата", "лошат"), ("поні",)),
    "sheep": (("баран", "барани", "баранів"), ("ягня", "ягнята", "ягнят"), ("овечка", "овечки")),
    "dog": (
        ("пес",),
        ("пса",),
        ("псу",),
        ("псом",),
        ("пси",),
        ("псів",),
        ("песик", "песики", "песиків"),
        ("цуценя", "цуценята", "цуценят"),
    ),
    "cat": (
        ("кішка", "кішки", "кішок"),
        ("котик", "котики", "котиків"),
        ("кошеня", "кошенята", "кошенят"),
    ),
    "car": (("машина", "машини", "машин"), ("авто",), ("легковик", "легковики", "легковиків")),
    "truck": (("фура", "фури", "фур"),),
    "bicycle": (("ровер", "ровери", "роверів"),),
    "boat": (("катер", "катери", "катерів"),),
    "train": (("поїзд", "поїзди", "поїздів"),),
    "cell phone": (("смартфон", "смартфони", "смартфонів"),),
    "fox": (("лисиця", "лисиці", "лисиць"), ("лис",)),
    "goat": (("коза", "кози", "кіз"), ("цап", "цапи", "цапів"), ("козел",), ("козла",)),
    "pig": (
        ("свиня", "свині", "свиней"),
        ("порося", "поросята", "поросят"),
        ("кабан", "кабани", "кабанів"),
    ),
    "chicken": (
        ("курка", "курки", "курок"),
        ("кури",),
        ("курей",),
        ("півень", "півні", "півнів"),
        ("курча", "курчата", "курчат"),
    ),
    "duck": (("качка", "качки", "качок"), ("каченя", "каченята", "каченят")),
    "goose": (("гуска", "гуски", "гусок"), ("гусак", "гусаки", "гусаків"), ("гуси",), ("гусей",)),
    "deer": (("олень", "олені", "оленів"), ("козуля", "козулі", "козуль"), ("сарна", "сарни")),
    "rabbit": (("кролик", "кролики", "кроликів"), ("заєць", "зайці", "зайців")),
    "badger": (("борсук", "борсуки", "борсуків"),),
    "wolf": (("вовк", "вовки", "вовків"),),
    "rat": (("щур", "щури", "щурів"), ("пацюк", "пацюки", "пацюків")),
    "turkey": (("індик", "індики", "індиків"), ("індичка", "індички", "індичок")),
    "mouse": (("миша", "миші", "мишей"), ("мишка", "мишки", "мишок")),
}

UK_HYPERNYMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "animal": (("тварина", "тварини", "тварин"), ("звір", "звірі", "звірів")),
    "livestock": (("худоба", "худоби", "худоби"),),
    "bird": (("птах", "птахи", "птахів"), ("птиця", "птиці", "птиць"), ("пташка", "пташки")),
    "vehicle": (
        ("транспорт", "транспорти", "транспорту"),
        ("транспортний засіб",),
        ("транспортні засоби",),
        ("транспортних засобів",),
        ("транспортного засобу",),
    ),
}

# Noun endings a Ukrainian stem may take (cases of both numbers); at most three letters,
# so 'котел' or 'коровник' never pass for a cat or a cow.
UK_ENDINGS = frozenset(
    {"", "а", "я", "у", "ю", "і", "и", "ї", "е", "є", "о", "ь", "ом", "ем", "єм", "ою", "ею"}
    | {"єю", "ам", "ям", "ами", "ями", "ах", "ях", "ів", "їв", "ей", "ові", "еві", "єві", "ьми"}
)
UK_MIN_STEM = 3
_UK_FINAL = "аяоеєиіїьйу"


def uk_stem(word: str) -> str:
    """The form without its final vowel or soft sign: корови -> коров, коні -> кон."""
    return word[:-1] if word[-1:] in _UK_FINAL else word


def spec_forms(spec: str) -> list[tuple[str, bool]]:
    """(form, is plural) pairs of a word spec ('man/men', 'cattle/', '/people', 'cow')."""
    if "/" not in spec:
        many = plural(spec)
        return [(spec, False)] + ([(many, True)] if many != spec else [])
    one, many = spec.split("/")
    return [(w, w == many and w != one) for w in (one, many) if w]


def _split(text: str) -> list[str]:
    return text.split()


EN_NUMBERS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        _split(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
EN_TENS = {
    w: 10 * i
    for i, w in enumerate(_split("twenty thirty forty fifty sixty seventy eighty ninety"), 2)
}
EN_NUMBERS.update(EN_TENS)
# Count only when they stand before an object word ('a cow', 'both dogs').
EN_BOUND_NUMBERS = {"a": 1, "an": 1, "single": 1, "lone": 1, "both": 2}
EN_VAGUE = frozenset({"several", "some", "few", "many", "multiple", "couple", "various"})

UK_NUMBERS: dict[str, int] = {
    **dict.fromkeys(("один", "одна", "одне", "одного", "одну", "одній", "одним", "одною"), 1),
    **dict.fromkeys(("два", "дві", "двоє", "двох", "двом", "двома"), 2),
    **dict.fromkeys(("три", "троє", "трьох", "трьом", "трьома"), 3),
    **dict.fromkeys(("чотири", "четверо", "чотирьох", "чотирьом"), 4),
    **dict.fromkeys(("п'ять", "п'ятеро", "п'ятьох", "п'яти"), 5),
    **dict.fromkeys(("шість", "шестеро", "шістьох", "шести"), 6),
    **dict.fromkeys(("сім", "семеро", "сімох", "семи"), 7),
    **dict.fromkeys(("вісім", "восьмеро", "вісьмох", "восьми"), 8),
    **dict.fromkeys(("дев'ять", "дев'ятеро", "дев'ятьох", "дев'яти"), 9),
    **dict.fromkeys(("десять", "десятеро", "десятьох", "десяти"), 10),
}
UK_NUMBERS.update(
    (w + "надцять", n)
    for n, w in enumerate(_split("оди два три чотир п'ят шіст сім вісім дев'ят"), 11)
)
UK_TENS = {
    w: 10 * i
    for i, w in enumerate(
        _split("двадцять тридцять сорок п'ятдесят шістдесят сімдесят вісімдесят дев'яносто"), 2
    )
}
UK_NUMBERS.update(UK_TENS)
UK_BOUND_NUMBERS = dict.fromkeys(("обидва", "обидві", "обоє", "обох"), 2)
UK_VAGUE = frozenset({"кілька", "декілька", "кількох", "декількох", "кількоро", "багато"})

# Nouns that make a number a tally over a period ('3 sightings', 'seen 3 times', '3 рази').
EN_TALLY = frozenset(
    _split(
        "sighting sightings time times arrival arrivals visit visits appearance appearances "
        "occasion occasions"
    )
)
UK_TALLY = frozenset(_split("раз рази разів разу появ появи поява візит візити візитів"))

# Words a number never reaches across to an object word: '2 of the cows', '5 minutes'.
EN_STOP = EN_VAGUE | frozenset(
    _split(
        "the a an of to from at in on and or for with by into than then after before over "
        "about around more less just only all other another number total minute minutes "
        "second seconds hour hours min mins sec secs am pm lot group herd flock pair times "
        "ago is are was were has have had"
    )
)
UK_STOP = UK_VAGUE | frozenset(
    _split(
        "з із зі до у в на о об і й та а від за по понад біля хв хвилин хвилини хвилину "
        "хвилина секунд секунди секунду сек год годин години годину було стало станом вже ще "
        "ніж більше менше близько приблизно разів раз є"
    )
)


def uk_past(masculine: str) -> tuple[str, ...]:
    """Past-tense forms of all genders and the plural: зник -> зникла, зникло, зникли."""
    if masculine.endswith("ся"):  # з'явився -> з'явилася, з'явилась, ...
        stem = masculine[:-3] + "л"
        ends = ("ася", "ась", "ося", "ось", "ися", "ись")
        return (masculine, *(stem + e for e in ends))
    if masculine.endswith("ов"):  # пішов -> пішла
        stem = masculine[:-2] + "л"
    elif masculine.endswith("в"):  # прибув -> прибула
        stem = masculine[:-1] + "л"
    else:  # зник -> зникла
        stem = masculine + "л"
    return (masculine, stem + "а", stem + "о", stem + "и")


def _past(*verbs: str) -> tuple[str, ...]:
    return tuple(form for v in verbs for form in uk_past(v))


def _past_text(*verbs: str) -> str:
    """The past-tense forms of `verbs` as one '|'-separated phrase list."""
    return "|".join(_past(*verbs))


# Verbs of movement, one list per language and direction for questions (agent.ask) and the
# verifier (agent.llm.verify); the verifier adds the words that only describe (EN_IN, EN_OUT...).
EN_COME_VERBS: Phrases = (
    words(
        "appeared appears appear appearing arrived arrives arrive arriving came comes come coming "
        "entered enters enter entering approached approaches approaching"
    )
    | phrases(
        "showed up|shows up|turned up|walked in|walked into|moved in|moved into|came in|got in|"
        "wandered in|wandered into|stepped into|drove in|drove into|pulled into|pulled up"
    )
    | phrases(
        "come|came|comes|coming|arrive|arrived|arrives|arriving|enter|entered|enters|entering|"
        "visit|visited|visits|show up|showed up|shown up|turn up|turned up|appear|appeared|appears|"
        "come near|came near|come by|came by|come to|came to|approach|approached|get in|got in|"
        "go in|went in|come in|came in|pass|passed|drive up|drove up|stop by|stopped by|"
        "ring|rang|knock|knocked|walk in|walked in|come into|came into|go into|went into|"
        "get near|got near|come close|came close|come back|came back|return|returned|returns|"
        "get back|got back"
    )
)
EN_LEAVE_VERBS: Phrases = (
    words(
        "left leaves leaving leave departed departs departing exited exits exiting disappeared "
        "disappears disappearing gone vanished"
    )
    | phrases(
        "went away|walked away|walked out|moved out|moved away|ran away|ran off|wandered off|"
        "headed out|drove away|drove off|drove out|rode away|flew away|flew off|went out|walked off"
    )
    | phrases(
        "leave|left|leaves|leaving|go out|went out|gone out|exit|exited|exits|depart|departed|"
        "departs|go away|went away|gone|come out|came out|get out|got out|walk out|walked out|"
        "drive off|drove off|drive away|drove away|walk away|walked away|move out|moved out"
    )
)
EN_STAY_VERBS: Phrases = (
    words(
        "remains remain remained staying stays stayed lingering lingers lingered waiting waited "
        "loitering"
    )
    | phrases("hanging around")
    | phrases(
        "stay|stayed|stays|staying|remain|remained|linger|lingered|dwell|dwelt|wait|waited|"
        "hang around|hung around|spend|spent|loiter|loitered"
    )
)
EN_IN: Phrases = (
    EN_COME_VERBS
    | words("spotted detected seen visible present here near")
    | phrases("is at|are at|is in|are in|is on|are on|now at|there is|there are")
)
EN_OUT: Phrases = EN_LEAVE_VERBS | phrases("no longer|out of sight")
EN_STAY: Phrases = (
    EN_STAY_VERBS
    | words("still")
    | phrases(
        "has been|have been|had been|for over|for more than|for at least|for the past|for the last"
    )
)
EN_CHANGE: Phrases = words(
    "changed changes increased increases decreased decreases rose rises dropped drops fell "
    "falls grew grows climbed now"
) | phrases("went from", "went up", "went down")

UK_COME_VERBS: Phrases = (
    phrases(
        *_past(
            "з'явився",
            "прийшов",
            "прибув",
            "увійшов",
            "зайшов",
            "приїхав",
            "заїхав",
            "підійшов",
            "вбіг",
            "забіг",
            "прилетів",
            "залетів",
        )
    )
    | words("з'являється з'являються заходить заходять входить входять приходить приходять")
    | phrases(
        _past_text(
            "прийшов",
            "приходив",
            "з'явився",
            "з'являвся",
            "підійшов",
            "підходив",
            "приїхав",
            "приїжджав",
            "заїхав",
            "заходив",
            "зайшов",
            "увійшов",
            "входив",
            "прибув",
            "прилетів",
            "прилітав",
            "наближався",
            "навідувався",
            "проходив",
            "пройшов",
            "побував",
            "бував",
            "повернувся",
            "вернувся",
        )
        + "|приходять|приходить|заходить|заходять|з'являється|з'являються|підходить|підходять"
        + "|приїжджає|приїжджають|прийшло|приходило"
    )
)
UK_LEAVE_VERBS: Phrases = (
    phrases(
        *_past(
            "зник",
            "пішов",
            "вийшов",
            "поїхав",
            "виїхав",
            "залишив",
            "покинув",
            "пропав",
            "відійшов",
            "полетів",
            "вибіг",
        )
    )
    | words("втік втекла втекло втекли зникає зникають виходить виходять")
    | phrases(
        _past_text(
            "вийшов",
            "виходив",
            "пішов",
            "йшов",
            "поїхав",
            "виїхав",
            "виїжджав",
            "залишив",
            "покинув",
            "полетів",
            "зник",
            "відійшов",
        )
        + "|виходять|виходить|йдуть|ідуть|покидають|залишають"
    )
)
# 'залишили' (left) is a leaving, but 'залишаються', 'залишилися' (stay, stayed) are staying.
UK_STAY_VERBS: Phrases = (
    phrases(*_past("залишився"))
    | words(
        "перебуває перебувають залишається залишаються стоїть стоять чекає чекають "
        "знаходиться знаходяться пасеться пасуться лежить лежать"
    )
    | phrases(
        _past_text("залишався", "залишився", "перебував", "пробув", "стояв", "чекав", "провів")
        + "|перебувають|перебуває|стоїть|стоять"
    )
)
UK_IN: Phrases = UK_COME_VERBS | words("помічено виявлено видно є помітили зафіксовано побачили")
UK_OUT: Phrases = UK_LEAVE_VERBS | words("немає нема") | phrases("більше немає", "поза кадром")
UK_STAY: Phrases = UK_STAY_VERBS | words("досі понад") | phrases("все ще", "усе ще", "більше ніж")
UK_CHANGE: Phrases = phrases(*_past("змінився", "збільшився", "зменшився", "впав")) | words(
    "стало стала стали зросла зросло зросли зріс тепер"
)
# 'from 2 to 3' / 'з 2 до 3' also tells a change.
EN_FROM_TO = (frozenset({"from"}), frozenset({"to"}))
UK_FROM_TO = (frozenset({"з", "із", "від"}), frozenset({"до"}))


def coco_labels() -> tuple[str, ...]:
    """The 80 COCO labels and the farm labels, every label the vocabulary knows by name."""
    return (*coco80_names(), *FARM_LABELS)


def uk_nouns() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every Ukrainian paradigm per label: the template nouns first, then the extras."""
    table: dict[str, tuple[tuple[str, ...], ...]] = {
        label: ((n.one, n.few, n.many),) for label, n in _NOUNS.items()
    }
    for label, extra in UK_EXTRA.items():
        table[label] = table.get(label, ()) + extra
    return table


Vocab = dict[tuple[str, ...], Sense]


def _add_spec(vocab: Vocab, spec: str, labels: frozenset[str], name: str, hyper: bool) -> None:
    for form, many in spec_forms(spec):
        vocab[tuple(form.split())] = Sense(labels, name, many, hyper)


def _en_vocab() -> Vocab:
    vocab: Vocab = {}
    for label in coco_labels():
        one = frozenset({label})
        for form, many in spec_forms(label):
            if many or label not in AMBIGUOUS:
                vocab[tuple(form.split())] = Sense(one, label, many)
        for spec in EN_SYNONYMS.get(label, ()):
            _add_spec(vocab, spec, one, label, False)
    # Hypernyms last: 'bird' covers chickens and ducks too, not only the COCO label.
    for head, (specs, labels) in EN_HYPERNYMS.items():
        for spec in specs:
            _add_spec(vocab, spec, labels, head, True)
    return vocab


def _uk_vocab() -> tuple[Vocab, dict[str, Sense]]:
    exact: Vocab = {}
    stems: dict[str, Sense] = {}

    def add(paradigms: tuple[tuple[str, ...], ...], sense: Sense) -> None:
        for forms in paradigms:
            exact.update((tuple(f.split()), sense) for f in forms)
            if len(forms) > 1 and " " not in forms[1]:
                stem = uk_stem(forms[1])
                if len(stem) >= UK_MIN_STEM:
                    stems[stem] = sense
                    if stem.endswith("к"):  # сумка -> у сумці: к becomes ц before і
                        exact[(stem[:-1] + "ці",)] = sense

    for label, paradigms in uk_nouns().items():
        add(paradigms, Sense(frozenset({label}), label))
    for head, paradigms in UK_HYPERNYMS.items():
        add(paradigms, Sense(EN_HYPERNYMS[head][1], head, hypernym=True))
    return exact, stems


EN_VOCAB: Vocab = _en_vocab()
UK_VOCAB, UK_STEMS = _uk_vocab()


# --- counts as words, for the facts given to a model (small models copy words, not digits) ---

_EN_WORDS = {n: w for w, n in EN_NUMBERS.items() if n <= 20 or w in EN_TENS}
# One form per value, the one a sentence starts with after a number: 'п'ять', not 'п'ятеро'.
_UK_WORDS = {
    1: "один",
    2: "два",
    3: "три",
    4: "чотири",
    5: "п'ять",
    6: "шість",
    7: "сім",
    8: "вісім",
    9: "дев'ять",
    10: "десять",
    **{n: w for w, n in UK_NUMBERS.items() if w.endswith("надцять") or w in UK_TENS},
}
_UK_GENDERED = {(1, "f"): "одна", (1, "n"): "одне", (2, "f"): "дві"}


def en_number(n: int) -> str:
    """'three', 'twenty-one'; digits from 100 on."""
    if n in _EN_WORDS:
        return _EN_WORDS[n]
    if 20 < n < 100:
        return f"{_EN_WORDS[n - n % 10]}-{_EN_WORDS[n % 10]}"
    return str(n)


def uk_number(n: int, gender: str = "m") -> str:
    """'дві' (корови), 'два' (коні), 'двадцять одна' (корова); digits from 100 on."""
    if 20 < n < 100 and n % 10:
        return f"{_UK_WORDS[n - n % 10]} {uk_number(n % 10, gender)}"
    if n in _UK_WORDS:
        return _UK_GENDERED.get((n, gender), _UK_WORDS[n])
    return str(n)


# --- places: words that name a place, checked against the facts' zones ---------------------

_EN_PLACES = frozenset(
    _split(
        "door doorway doorstep porch gate gateway barn yard backyard courtyard farmyard garden "
        "driveway field paddock pasture meadow stable stall coop henhouse pen fence road street "
        "lane path pathway garage shed house entrance lawn patio terrace window kitchen room "
        "hallway corridor orchard pond kennel corral pigsty sty enclosure carport parking "
        "cowshed sheepfold farmyard"
    )
)
_EN_PLACE_FORMS = {form: p for p in _EN_PLACES for form in (p, plural(p))}
# Ukrainian stems and the English place each names, so 'біля воріт' matches a zone 'gate';
# a word is the place when the rest is a case ending.
_UK_PLACES: dict[str, str] = {
    **dict.fromkeys(("двер",), "door"),
    **dict.fromkeys(("ворот", "воріт", "хвіртк", "хвіртц"), "gate"),
    **dict.fromkeys(("сара", "хлів"), "barn"),
    **dict.fromkeys(("двор", "двір", "подвір'"), "yard"),
    **dict.fromkeys(("ґанк", "ґанок"), "porch"),
    **dict.fromkeys(("сад",), "garden"),
    **dict.fromkeys(("город",), "garden"),
    **dict.fromkeys(("пол",), "field"),
    **dict.fromkeys(("пасовищ",), "pasture"),
    **dict.fromkeys(("загон", "загін"), "paddock"),
    **dict.fromkeys(("стайн",), "stable"),
    **dict.fromkeys(("курник",), "coop"),
    **dict.fromkeys(("гараж",), "garage"),
    **dict.fromkeys(("дорог", "дороз"), "road"),
    **dict.fromkeys(("вулиц",), "street"),
    **dict.fromkeys(("під'їзд",), "driveway"),
    **dict.fromkeys(("будинк", "будинок", "хат"), "house"),
    **dict.fromkeys(("вход", "вхід"), "entrance"),
    **dict.fromkeys(("паркан",), "fence"),
    **dict.fromkeys(("поріг", "порог"), "doorstep"),
    **dict.fromkeys(("корівник",), "cowshed"),
    **dict.fromkeys(("вівчарн",), "sheepfold"),
    **dict.fromkeys(("ферм",), "farmyard"),
    **dict.fromkeys(("терас",), "terrace"),
    **dict.fromkeys(("вікн", "вікон"), "window"),
    **dict.fromkeys(("кухн",), "kitchen"),
    **dict.fromkeys(("кімнат",), "room"),
    **dict.fromkeys(("газон",), "lawn"),
    **dict.fromkeys(("стоянк", "стоянц"), "parking"),
}
_UK_PLACE_ENDINGS = UK_ENDINGS | {"й", "ю", "ї", "єм", "ок", "ами", "ах"}


def en_place(token: str) -> str | None:
    """The place an English word names ('doors' -> 'door'), or None."""
    return _EN_PLACE_FORMS.get(token)


def uk_place(token: str) -> str | None:
    """The place a Ukrainian (or English) word names ('стайні' -> 'stable'), or None."""
    for stem, place in _UK_PLACES.items():
        if token.startswith(stem) and token[len(stem) :] in _UK_PLACE_ENDINGS:
            return place
    return _EN_PLACE_FORMS.get(token)
