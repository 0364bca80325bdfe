"""Ukrainian words of questions: what is asked, which period, which kind of change.

Object words in all their cases come from agent.core.text.vocabulary (exact forms and stems with
case endings), the vocabulary the verifier uses.
"""

from __future__ import annotations

from agent.ask.lexicon import Lexicon
from agent.ask.query import RangeName, What
from agent.core.text import vocabulary as lx
from agent.core.text.phrases import phrases, words


def _past(*verbs: str) -> str:
    return "|".join(form for v in verbs for form in lx.uk_past(v))


WHAT: tuple[tuple[str, What], ...] = (
    ("як довго|скільки часу|скільки часу провели|як довго були|протягом якого часу", "duration"),
    ("підсумок|підсумки|підсумуй|підсумуйте|зведення|огляд|звіт|дайджест|зведи", "summary"),
    (
        "що сталося|що трапилося|що відбувалося|що відбулося|що було|що бачили|що бачила|"
        "що бачив|що побачили|що побачила|що нового|що там було|які події|що сталось|"
        "що трапилось|що відбувалось|що діялося|що коїлося",
        "what_happened",
    ),
    ("вперше|уперше|найперше|найраніше|першим|першою|перший раз|першого разу", "first_seen"),
    ("скільки|скільки разів|кількість|як часто|яка кількість", "count"),
    (
        "востаннє|останній раз|останнього разу|коли|о котрій|о котрій годині|котрої|останній|"
        "остання|останнє|останнім|останньою",
        "last_seen",
    ),
)
PRESENT = phrases("зараз|наразі|тепер|в даний момент|у даний момент|досі|прямо зараз|на цю хвилину")
# A yes/no question needs no 'чи' when typed on a phone: 'машини сьогодні були?'
YES_NO = phrases("чи|хіба|був|була|було|були|є")
# The shared verbs of agent.core.text.vocabulary, and the everyday ones people ask with.
# 'проходили' goes either way through a place: a passage here, not a coming.
ARRIVE = (lx.UK_COME_VERBS - phrases(_past("проходив", "пройшов"))) | phrases(
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
)
LEAVE = lx.UK_LEAVE_VERBS | phrases(
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
)
PASSAGE = phrases(
    _past("проходив", "пройшов", "проїхав", "проїжджав", "пробіг", "пробігав", "перетнув")
    + "|проходять|проходить|проїжджають|проїжджає"
)
STAY = lx.UK_STAY_VERBS | phrases(
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
)
NAMED: tuple[tuple[str, RangeName], ...] = (
    ("сьогодні|за сьогодні|на сьогодні|цього дня|сьогодня", "today"),
    ("вчора|учора|вчорашній день|за вчора", "yesterday"),
    (
        "минулої ночі|вночі|уночі|цієї ночі|за ніч|сьогодні вночі|ніччю|вночі сьогодні|"
        "протягом ночі|минулої ночі сьогодні|цієї ночі сьогодні|ночі|ніч",
        "last_night",
    ),
    ("сьогодні вранці|вранці|уранці|зранку|цього ранку|ранком|зранку сьогодні", "this_morning"),
    (
        "сьогодні вдень|вдень|удень|після обіду|по обіді|пообіді|сьогодні по обіді|"
        "сьогодні після обіду",
        "this_afternoon",
    ),
    ("сьогодні ввечері|ввечері|увечері|цього вечора|вечором", "this_evening"),
    ("цього тижня|на цьому тижні|за цей тиждень", "this_week"),
    ("коли-небудь|будь-коли|взагалі|за весь час|за всю історію|колись|будь коли", "all"),
)
FUTURE = phrases("завтра|наступного тижня|наступного місяця|наступного року|буде|будуть")
LAST = phrases(
    "останню|останні|останній|останніх|минулу|минулі|минулий|за останню|за останні|за"
    " останній|за минулу|за минулі|протягом останніх|протягом останньої|за"
)
HOUR_UNITS = phrases("годину|години|годин|год")
DAY_UNITS = phrases("день|дні|днів|доби|добу|діб")
WEEK_UNITS = phrases("тиждень|тижні|тижнів")
MONTH_UNITS = phrases("місяць|місяці|місяців")
YEAR_UNITS = phrases("рік|роки|років")
AGO = phrases("тому")
SINCE = phrases("з|із|зі|після|від|починаючи з")
BETWEEN_START = phrases("між|з|із|від")
BETWEEN_JOIN = phrases("і|та|до|й|по|-")
HOUR_WORDS = phrases("години|годину|год|годині")
WEEKDAYS: dict[str, int] = {
    **dict.fromkeys(("понеділок", "понеділка", "понеділку"), 0),
    **dict.fromkeys(("вівторок", "вівторка", "вівторку"), 1),
    **dict.fromkeys(("середа", "середу", "середи", "середі"), 2),
    **dict.fromkeys(("четвер", "четверга", "четвергу"), 3),
    **dict.fromkeys(("п'ятниця", "п'ятницю", "п'ятниці"), 4),
    **dict.fromkeys(("субота", "суботу", "суботи", "суботі"), 5),
    **dict.fromkeys(("неділя", "неділю", "неділі"), 6),
}
CAMERA_WORDS = phrases("камера|камері|камери|камеру|камерою|камер|камерах")
ZONE_WORDS = phrases("зона|зоні|зони|зону|зоною|зон|зонах|ділянка|ділянці|ділянки")
ANY_PERSON = phrases("хтось|когось|хто-небудь|будь-хто|хто|кого-небудь|комусь|ким-небудь")
ANYTHING = phrases(
    "щось|що-небудь|будь-що|чогось|об'єкт|об'єкти|об'єктів|рух|активність|активності"
)
FILLER = words(
    "чи був була було були є там тут у в на біля коло поблизу до з із зі від о об котрій якій "
    "годині разів раз мої моїх наші наших моя моє мій наш наша що коли де скільки бачив "
    "бачила бачило бачили помічено виявлено помітили побачили зафіксовано зафіксували будь "
    "ласка скажи скажіть підкажи підкажіть мені нам ще вже щось когось всього усього загалом "
    "всіх усіх взагалі всі усі і й та а то це ця цей ці його її їх ? , . ! - а-а тощо "
    "перед біля поряд поруч навколо всередині надворі всередину ж же хоч хоча б би так "
    "хоч-небудь якісь який яка яке які якийсь якась через крізь дай дайте покажи покажіть за"
)

LEXICON = Lexicon(
    language="uk",
    what=tuple((phrases(w), what) for w, what in WHAT),
    present=PRESENT,
    present_tense=frozenset(),
    open_words=frozenset({"хто", "що", "які", "кого"}),
    command_words=words(
        "ігноруй ігноруйте забудь забудьте зупини зупиніть постав поставте паузу пауза вимкни "
        "вимкніть увімкни увімкніть видали видаліть зітри зітріть надішли надішліть виконай "
        "виконайте правила інструкції інструкцію відкрий відкрийте закрий закрийте перезавантаж "
        "анекдот жарт"
    ),
    yes_no=YES_NO,
    arrive=ARRIVE,
    leave=LEAVE,
    passage=PASSAGE,
    stay=STAY,
    named=tuple((phrases(w), name) for w, name in NAMED),
    future=FUTURE,
    last=LAST,
    hour_units=HOUR_UNITS,
    day_units=DAY_UNITS,
    week_units=WEEK_UNITS,
    month_units=MONTH_UNITS,
    year_units=YEAR_UNITS,
    ago=AGO,
    since=SINCE,
    between_start=BETWEEN_START,
    between_join=BETWEEN_JOIN,
    am=frozenset(),
    pm=frozenset(),
    oclock=frozenset(),
    hour_words=HOUR_WORDS,
    weekdays=WEEKDAYS,
    camera_words=CAMERA_WORDS,
    zone_words=ZONE_WORDS,
    any_person=ANY_PERSON,
    anything=ANYTHING,
    filler=FILLER,
    numbers={**lx.UK_NUMBERS, "одну": 1, "одна": 1},
)
