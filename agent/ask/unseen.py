"""Animals and things people ask about that a COCO detector has no label for.

One row per thing, a column per language (lemmas: every case and plural form matches).
A question naming one gets 'the detector here cannot see …', never the generic refusal.
The verifier's vocabulary (agent.llm.lexicon) already knows fox, deer, badger, wolf, rat,
rabbit, goat, pig and the farm birds; these are the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.core.kinds import Language


@dataclass(frozen=True)
class Unseen:
    name: str  # English, singular: what the answer calls it
    en: tuple[str, ...]  # lemmas
    uk: tuple[str, ...]  # lemmas
    animal: bool = True
    coco_homonym: bool = False  # COCO's label of this name is another thing (a computer mouse)


UNSEEN: tuple[Unseen, ...] = (
    Unseen("hedgehog", ("hedgehog",), ("їжак", "їжачок")),
    Unseen("ferret", ("ferret", "polecat"), ("тхір", "тхорик")),
    Unseen("squirrel", ("squirrel",), ("білка", "білочка")),
    Unseen("marten", ("marten", "pine marten"), ("куниця",)),
    Unseen("weasel", ("weasel", "stoat", "ermine"), ("ласка", "горностай")),
    Unseen("mink", ("mink",), ("норка",)),
    Unseen("otter", ("otter",), ("видра",)),
    Unseen("mole", ("mole",), ("кріт",)),
    Unseen("mouse", ("mouse", "vole"), ("миша", "мишка", "полівка"), coco_homonym=True),
    Unseen("hare", ("hare",), ("заєць",)),
    Unseen("wild boar", ("boar", "wild boar"), ("вепр", "дикий кабан")),
    Unseen("raccoon", ("raccoon", "racoon"), ("єнот",)),
    Unseen("raccoon dog", ("raccoon dog",), ("єнотовидний собака",)),
    Unseen("jackal", ("jackal", "coyote"), ("шакал", "койот")),
    Unseen("lynx", ("lynx",), ("рись",)),
    Unseen("beaver", ("beaver",), ("бобер",)),
    Unseen("bat", ("bat",), ("кажан",)),
    Unseen("snake", ("snake", "viper", "adder"), ("змія", "гадюка", "вуж")),
    Unseen("lizard", ("lizard",), ("ящірка",)),
    Unseen("frog", ("frog", "toad"), ("жаба", "ропуха")),
    Unseen("tortoise", ("tortoise", "turtle"), ("черепаха",)),
    Unseen("donkey", ("donkey",), ("віслюк", "осел")),
    Unseen("rabbit", ("bunny",), ("кріль",)),
    Unseen("drone", ("drone",), ("дрон", "безпілотник"), animal=False),
    Unseen("tractor", ("tractor",), ("трактор",), animal=False),
    Unseen("parcel", ("parcel", "package", "delivery"), ("посилка", "пакунок"), animal=False),
)
_BY_LEMMA: dict[tuple[Language, tuple[str, ...]], Unseen] = {
    **{("en", tuple(w.split())): u for u in UNSEEN for w in u.en},
    **{("uk", tuple(w.split())): u for u in UNSEEN for w in u.uk},
}


def unseen_by_lemmas(lemmas: tuple[str, ...], language: Language) -> Unseen | None:
    return _BY_LEMMA.get((language, lemmas))
