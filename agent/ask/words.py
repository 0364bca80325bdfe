"""The words questions are read with: one table, a column per language.

Each row is one meaning (a kind of question, a period, a direction, a filler) with its
English and its Ukrainian phrases ('|' between phrases, spaces between words). Verbs of
coming, leaving and staying start from the verifier's shared verbs
(agent.core.text.vocabulary) and add the everyday ones people ask with. Object words come
from that vocabulary too; case and verb forms beyond these are matched by lemma
(agent.ask.morphology).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.ask.lexicon import Lexicon
from agent.ask.query import RangeName, What
from agent.core.kinds import Language
from agent.core.text import vocabulary as lx
from agent.core.text.phrases import Phrases, phrases, words


def _past(*verbs: str) -> str:
    """Ukrainian past forms of every gender and the plural, '|' between them."""
    return "|".join(form for v in verbs for form in lx.uk_past(v))


@dataclass(frozen=True)
class Row:
    """One meaning's phrases in each language."""

    en: Phrases
    uk: Phrases

    def of(self, language: Language) -> Phrases:
        return self.en if language == "en" else self.uk


def _row(en: str, uk: str) -> Row:
    return Row(phrases(en), phrases(uk))


def _words(en: str, uk: str) -> Row:
    return Row(words(en), words(uk))


NONE: Phrases = frozenset()

# What is asked, in order of precedence.
WHAT: tuple[tuple[What, Row], ...] = (
    (
        "duration",
        _row(
            "how long|for how long|how much time",
            "як довго|скільки часу|скільки часу провели|як довго були|протягом якого часу",
        ),
    ),
    (
        "summary",
        _row(
            "summary|summarise|summarize|overview|report|recap|digest",
            "підсумок|підсумки|підсумуй|підсумуйте|зведення|огляд|звіт|дайджест|зведи",
        ),
    ),
    (
        "what_happened",
        _row(
            "what happened|what has happened|what's happened|what went on|what was going on|"
            "what's been going on|what has been going on|what did you see|"
            "what did the camera see|what did the cameras see|what was seen|what was there|"
            "anything happen|anything happened|any activity|what activity|what events|"
            "which events|list events|what's new|what is new",
            "що сталося|що трапилося|що відбувалося|що відбулося|що було|що бачили|що бачила|"
            "що бачив|що побачили|що побачила|що нового|що там було|які події|що сталось|"
            "що трапилось|що відбувалось|що діялося|що коїлося",
        ),
    ),
    (
        "first_seen",
        _row(
            "first|earliest|first time|for the first time",
            "вперше|уперше|найперше|найраніше|першим|першою|перший раз|першого разу",
        ),
    ),
    (
        "count",
        _row(
            "how many|how often|how many times|number of|count|how frequently|how much",
            "скільки|скільки разів|кількість|як часто|яка кількість",
        ),
    ),
    (
        "last_seen",
        _row(
            "last time|last seen|most recently|latest|the last|last|when",
            "востаннє|останній раз|останнього разу|коли|о котрій|о котрій годині|котрої|"
            "останній|остання|останнє|останнім|останньою",
        ),
    ),
)

# Periods by name; a day and a part of it combine ('yesterday evening', parser._combine).
NAMED: tuple[tuple[RangeName, Row], ...] = (
    (
        "today",
        _row(
            "today|so far today|earlier today|this day",
            "сьогодні|за сьогодні|на сьогодні|цього дня|сьогодня",
        ),
    ),
    ("yesterday", _row("yesterday", "вчора|учора|вчорашній день|за вчора")),
    (
        "last_night",
        _row(
            "last night|overnight|tonight|during the night|at night|in the night|this night|"
            "over night|through the night",
            "минулої ночі|вночі|уночі|цієї ночі|за ніч|сьогодні вночі|ніччю|вночі сьогодні|"
            "протягом ночі|минулої ночі сьогодні|цієї ночі сьогодні|ночі|ніч",
        ),
    ),
    (
        "this_morning",
        _row(
            "this morning|in the morning|morning",
            "сьогодні вранці|вранці|уранці|зранку|цього ранку|ранком|зранку сьогодні",
        ),
    ),
    (
        "this_afternoon",
        _row(
            "this afternoon|in the afternoon|afternoon",
            "сьогодні вдень|вдень|удень|після обіду|по обіді|пообіді|сьогодні по обіді|"
            "сьогодні після обіду",
        ),
    ),
    (
        "this_evening",
        _row(
            "this evening|in the evening|evening",
            "сьогодні ввечері|ввечері|увечері|цього вечора|вечором",
        ),
    ),
    ("this_week", _row("this week|so far this week", "цього тижня|на цьому тижні|за цей тиждень")),
    (
        "all",
        _row(
            "ever|all time|so far|of all time|ever since|in history|on record",
            "коли-небудь|будь-коли|взагалі|за весь час|за всю історію|колись|будь коли",
        ),
    ),
)

# Directions. 'pass' / 'проходили' go either way through a place: a passage, not a coming.
ARRIVE = Row(
    (lx.EN_COME_VERBS - phrases("pass|passed"))
    | phrases(
        "go back in|went back in|gone back in|come back in|came back in|"
        "get back in|got back in|let in|let back in|come home|came home|get home|got home|"
        "drive in|drove in|pull in|pulled in|get into|got into|go into|gone into|walk into|"
        "come through|came through|turn in|turned in|head in|headed in|wander in|wandered in|"
        "back in|back"
    ),
    (lx.UK_COME_VERBS - phrases(_past("проходив", "пройшов")))
    | phrases(
        _past(
            "повертався",
            "вертався",
            "забігав",
            "прибіг",
            "прибігав",
            "заліз",
            "залазив",
            "влетів",
            "під'їхав",
            "під'їжджав",
            "в'їхав",
            "в'їжджав",
            "загнав",
            "заганяв",
            "пустив",
            "впустив",
            "завів",
            "заводив",
        )
        + "|повертаються|повертається|заходило"
    ),
)
LEAVE = Row(
    lx.EN_LEAVE_VERBS
    | phrases(
        "out|let out|go off|went off|head out|headed out|head off|headed off|run off|ran off|"
        "run away|ran away|fly off|flew off|fly away|flew away|take off|took off|pull out|"
        "pulled out|drive out|drove out|wander off|wandered off|turn out|turned out"
    ),
    lx.UK_LEAVE_VERBS
    | phrases(
        _past(
            "вигнав",
            "виганяв",
            "випустив",
            "випускав",
            "вивів",
            "виводив",
            "вибігав",
            "вилетів",
            "вилазив",
            "виліз",
            "від'їхав",
            "від'їжджав",
        )
        + "|втік|втекла|втекло|втекли"
    ),
)
PASSAGE = _row(
    "pass|passed|passes|passing|pass through|passed through|go through|went through|"
    "gone through|go past|went past|walk past|walked past|drive past|drove past|"
    "drive through|drove through|walk through|walked through|cross|crossed|use|used|"
    "came and went|come and go|comes and goes|coming and going|went and came",
    _past("проходив", "пройшов", "проїхав", "проїжджав", "пробіг", "пробігав", "перетнув")
    + "|проходять|проходить|проїжджають|проїжджає",
)
STAY = Row(
    lx.EN_STAY_VERBS
    | phrases(
        "hanging around|hang about|hung about|hanging about|stick around|stuck around|"
        "sit|sat|stand|stood|be there|been there|keep|kept"
    ),
    lx.UK_STAY_VERBS
    | phrases(
        _past(
            "простояв",
            "сидів",
            "просидів",
            "лежав",
            "пасся",
            "знаходився",
            "гуляв",
            "крутився",
            "вештався",
            "тинявся",
        )
        + "|сидить|сидять"
    ),
)

PRESENT = _row(
    "now|right now|currently|at the moment|at present|still there|still|presently|"
    "is there anyone|are there any",
    "зараз|наразі|тепер|в даний момент|у даний момент|досі|прямо зараз|на цю хвилину",
)
# 'how many cows are in the barn?': a count in the present tense asks about now.
PRESENT_TENSE = Row(phrases("are|is|'s"), NONE)
# A yes/no question needs no 'чи' when typed on a phone: 'машини сьогодні були?'
YES_NO = _row(
    "did|was there|were there|has|have|had|was|were|is there|are there|any",
    "чи|хіба|був|була|було|були|є",
)
FUTURE = _row(
    "tomorrow|next week|next month|next year|will|going to|tonight later",
    "завтра|наступного тижня|наступного місяця|наступного року|буде|будуть",
)
LAST = _row(
    "last|past|previous|recent|the last|the past|in the last|in the past|over the last|"
    "over the past|during the last|during the past|within the last|within the past",
    "останню|останні|останній|останніх|минулу|минулі|минулий|за останню|за останні|"
    "за останній|за минулу|за минулі|протягом останніх|протягом останньої|за",
)
HOUR_UNITS = _row("hour|hours|hrs|hr|h", "годину|години|годин|год")
DAY_UNITS = _row("day|days", "день|дні|днів|доби|добу|діб")
WEEK_UNITS = _row("week|weeks", "тиждень|тижні|тижнів")
MONTH_UNITS = _row("month|months", "місяць|місяці|місяців")
YEAR_UNITS = _row("year|years", "рік|роки|років")
AGO = _row("ago", "тому")
SINCE = _row("since|after|from|starting at", "з|із|зі|після|від|починаючи з")
BETWEEN_START = _row("between|from", "між|з|із|від")
BETWEEN_JOIN = _row("and|to|until|till|-", "і|та|до|й|по|-")
AM = Row(phrases("am|a.m"), NONE)
PM = Row(phrases("pm|p.m"), NONE)
OCLOCK = Row(phrases("o'clock|oclock"), NONE)
HOUR_WORDS = Row(NONE, phrases("години|годину|год|годині"))  # 'з 13 години'
CAMERA_WORDS = _row("camera|cam|cameras", "камера|камері|камери|камеру|камерою|камер|камерах")
ZONE_WORDS = _row("zone|area", "зона|зоні|зони|зону|зоною|зон|зонах|ділянка|ділянці|ділянки")
ANY_PERSON = _row(
    "anyone|anybody|someone|somebody|a person|people|person|who",
    "хтось|когось|хто-небудь|будь-хто|хто|кого-небудь|комусь|ким-небудь",
)
ANYTHING = _row(
    "anything|something|any object|any objects|objects|object|activity|motion|movement",
    "щось|що-небудь|будь-що|чогось|об'єкт|об'єкти|об'єктів|рух|активність|активності",
)
# A standing question: 'tell me when the cows leave the barn' (agent/ask/watch.py).
WATCH = _row(
    "tell me when|tell me if|let me know when|let me know if|notify me when|notify me if|"
    "alert me when|alert me if|warn me when|warn me if|ping me when|ping me if|"
    "tell me as soon as|let me know as soon as|tell me once|let me know once",
    "скажи коли|скажи якщо|скажіть коли|скажіть якщо|повідом коли|повідом якщо|"
    "повідомте коли|повідомте якщо|повідом мене коли|повідом мене якщо|дай знати коли|"
    "дай знати якщо|дайте знати коли|дайте знати якщо|попередь коли|попередь якщо|"
    "сповісти коли|сповісти якщо|скажи мені коли|скажи мені якщо",
)
OPEN_WORDS = _words("who what which", "хто що які кого")
# An instruction, not a question: refused, never sent to a model.
COMMAND_WORDS = _words(
    "ignore forget disregard pause resume stop start disable enable turn switch delete "
    "remove erase publish send execute run rules instructions instruction prompt system "
    "pretend act override reset shutdown reboot unlock open close arm disarm joke",
    "ігноруй ігноруйте забудь забудьте зупини зупиніть постав поставте паузу пауза вимкни "
    "вимкніть увімкни увімкніть видали видаліть зітри зітріть надішли надішліть виконай "
    "виконайте правила інструкції інструкцію відкрий відкрийте закрий закрийте перезавантаж "
    "анекдот жарт",
)
# Harmless words. Never a direction ('out'), a negation or a period: dropping one of those
# would change the answer.
FILLER = _words(
    "the a an did does do done is are was were has have had been be being any anything "
    "there here at in on near by to into of from my our your their this that these those "
    "it its they them what when how many much times time ever yet please tell me us let know "
    "can could would you see seen saw spot spotted detect detected notice noticed record "
    "recorded by around close next for during inside outside over all total altogether get "
    "got which were where anywhere somewhere and or with far so else also just only "
    "? , . ! ': ; - again come about thing things happen there's what's who's hey hi ok okay "
    "front of up down near give through via show",
    "чи був була було були є там тут у в на біля коло поблизу до з із зі від о об котрій "
    "якій годині разів раз мої моїх наші наших моя моє мій наш наша що коли де скільки бачив "
    "бачила бачило бачили помічено виявлено помітили побачили зафіксовано зафіксували будь "
    "ласка скажи скажіть підкажи підкажіть мені нам ще вже щось когось всього усього загалом "
    "всіх усіх взагалі всі усі і й та а то це ця цей ці його її їх ? , . ! - а-а тощо перед "
    "біля поряд поруч навколо всередині надворі всередину ж же хоч хоча б би так хоч-небудь "
    "якісь який яка яке які якийсь якась через крізь дай дайте покажи покажіть за",
)
WEEKDAYS: dict[Language, dict[str, int]] = {
    "en": {
        "monday": 0,
        "tuesday": 1,
        "wednesday": 2,
        "thursday": 3,
        "friday": 4,
        "saturday": 5,
        "sunday": 6,
    },
    "uk": {
        **dict.fromkeys(("понеділок", "понеділка", "понеділку"), 0),
        **dict.fromkeys(("вівторок", "вівторка", "вівторку"), 1),
        **dict.fromkeys(("середа", "середу", "середи", "середі"), 2),
        **dict.fromkeys(("четвер", "четверга", "четвергу"), 3),
        **dict.fromkeys(("п'ятниця", "п'ятницю", "п'ятниці"), 4),
        **dict.fromkeys(("субота", "суботу", "суботи", "суботі"), 5),
        **dict.fromkeys(("неділя", "неділю", "неділі"), 6),
    },
}
NUMBERS: dict[Language, dict[str, int]] = {
    "en": {**lx.EN_NUMBERS, "a": 1, "an": 1, "one": 1, "couple": 2},
    "uk": {**lx.UK_NUMBERS, "одну": 1, "одна": 1},
}


def lexicon(language: Language) -> Lexicon:
    """The column of one language."""
    return Lexicon(
        language=language,
        what=tuple((row.of(language), what) for what, row in WHAT),
        present=PRESENT.of(language),
        present_tense=PRESENT_TENSE.of(language),
        open_words=frozenset(w for (w,) in OPEN_WORDS.of(language)),
        command_words=COMMAND_WORDS.of(language),
        yes_no=YES_NO.of(language),
        arrive=ARRIVE.of(language),
        leave=LEAVE.of(language),
        passage=PASSAGE.of(language),
        stay=STAY.of(language),
        named=tuple((row.of(language), name) for name, row in NAMED),
        future=FUTURE.of(language),
        last=LAST.of(language),
        hour_units=HOUR_UNITS.of(language),
        day_units=DAY_UNITS.of(language),
        week_units=WEEK_UNITS.of(language),
        month_units=MONTH_UNITS.of(language),
        year_units=YEAR_UNITS.of(language),
        ago=AGO.of(language),
        since=SINCE.of(language),
        between_start=BETWEEN_START.of(language),
        between_join=BETWEEN_JOIN.of(language),
        am=AM.of(language),
        pm=PM.of(language),
        oclock=OCLOCK.of(language),
        hour_words=HOUR_WORDS.of(language),
        weekdays=WEEKDAYS[language],
        camera_words=CAMERA_WORDS.of(language),
        zone_words=ZONE_WORDS.of(language),
        any_person=ANY_PERSON.of(language),
        anything=ANYTHING.of(language),
        filler=FILLER.of(language),
        numbers=NUMBERS[language],
    )


LEXICONS: dict[Language, Lexicon] = {"en": lexicon("en"), "uk": lexicon("uk")}
