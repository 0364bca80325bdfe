"""English words of questions: what is asked, which period, which kind of change.

Object words (cows, people, animals) come from the verifier's vocabulary,
agent.core.text.vocabulary, so questions and answers share one lexicon.
"""

from __future__ import annotations

from agent.ask.lexicon import Lexicon
from agent.ask.query import RangeName, What
from agent.core.text import vocabulary as lx
from agent.core.text.phrases import phrases, words

WHAT: tuple[tuple[str, What], ...] = (
    ("how long|for how long|how much time", "duration"),
    ("summary|summarise|summarize|overview|report|recap|digest", "summary"),
    (
        "what happened|what has happened|what's happened|what went on|what was going on|"
        "what's been going on|what has been going on|what did you see|what did the camera see|"
        "what did the cameras see|what was seen|what was there|anything happen|"
        "anything happened|any activity|what activity|what events|which events|list events|"
        "what's new|what is new",
        "what_happened",
    ),
    ("first|earliest|first time|for the first time", "first_seen"),
    (
        "how many|how often|how many times|number of|count|how frequently|how much",
        "count",
    ),
    ("last time|last seen|most recently|latest|the last|last|when", "last_seen"),
)
# 'how many cows are in the barn?': a count in the present tense asks about now.
PRESENT_TENSE = phrases("are|is|'s")
PRESENT = phrases(
    "now|right now|currently|at the moment|at present|still there|still|presently|"
    "is there anyone|are there any"
)
YES_NO = phrases("did|was there|were there|has|have|had|was|were|is there|are there|any")
# The shared verbs of agent.core.text.vocabulary, and the everyday ones people ask with.
# 'pass' goes either way through a place, so it is a passage here, not a coming.
ARRIVE = (lx.EN_COME_VERBS - phrases("pass|passed")) | phrases(
    "go back in|went back in|gone back in|come back in|came back in|"
    "get back in|got back in|let in|let back in|come home|came home|get home|got home|"
    "drive in|drove in|pull in|pulled in|get into|got into|go into|gone into|walk into|"
    "come through|came through|turn in|turned in|head in|headed in|wander in|wandered in"
)
LEAVE = lx.EN_LEAVE_VERBS | phrases(
    "out|let out|go off|went off|head out|headed out|head off|headed off|run off|ran off|"
    "run away|ran away|fly off|flew off|fly away|flew away|take off|took off|pull out|"
    "pulled out|drive out|drove out|wander off|wandered off|turn out|turned out"
)
PASSAGE = phrases(
    "pass|passed|passes|passing|pass through|passed through|go through|went through|"
    "gone through|go past|went past|walk past|walked past|drive past|drove past|"
    "drive through|drove through|walk through|walked through|cross|crossed|use|used"
)
STAY = lx.EN_STAY_VERBS | phrases(
    "hanging around|hang about|hung about|hanging about|stick around|stuck around|"
    "sit|sat|stand|stood|be there|been there|keep|kept"
)
NAMED: tuple[tuple[str, RangeName], ...] = (
    ("today|so far today|earlier today|this day", "today"),
    ("yesterday", "yesterday"),
    (
        "last night|overnight|tonight|during the night|at night|in the night|this night|"
        "over night|through the night",
        "last_night",
    ),
    ("this morning|in the morning|morning", "this_morning"),
    ("this afternoon|in the afternoon|afternoon", "this_afternoon"),
    ("this evening|in the evening|evening", "this_evening"),
    ("this week|so far this week", "this_week"),
    ("ever|all time|so far|of all time|ever since|in history|on record", "all"),
)
FUTURE = phrases("tomorrow|next week|next month|next year|will|going to|tonight later")
LAST = phrases(
    "last|past|previous|recent|the last|the past|in the last|in the past|over the last|"
    "over the past|during the last|during the past|within the last|within the past"
)
HOUR_UNITS = phrases("hour|hours|hrs|hr|h")
DAY_UNITS = phrases("day|days")
WEEK_UNITS = phrases("week|weeks")
MONTH_UNITS = phrases("month|months")
YEAR_UNITS = phrases("year|years")
AGO = phrases("ago")
SINCE = phrases("since|after|from|starting at")
BETWEEN_START = phrases("between|from")
BETWEEN_JOIN = phrases("and|to|until|till|-")
CLOCK_AT = phrases("at")
AM = phrases("am|a.m")
PM = phrases("pm|p.m")
OCLOCK = phrases("o'clock|oclock")
WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
CAMERA_WORDS = phrases("camera|cam|cameras")
ZONE_WORDS = phrases("zone|area")
ANY_PERSON = phrases("anyone|anybody|someone|somebody|a person|people|person|who")
ANYTHING = phrases(
    "anything|something|any object|any objects|objects|object|activity|motion|movement"
)
FILLER = words(
    "the a an did does do done is are was were has have had been be being any anything "
    "there here at in on near by to into of from my our your their this that these those "
    "it its they them what when how many much times time ever yet please tell me us let know "
    "can could would you see seen saw spot spotted detect detected notice noticed record recorded "
    "by around close next for during inside outside over all total altogether get got go went "
    "which were where anywhere somewhere and or with far so else also just only ? , . ! "
    "': ; - again come about thing things happen there's what's who's hey hi ok okay "
    "front back of up down near give through via show"
)

LEXICON = Lexicon(
    language="en",
    what=tuple((phrases(words), what) for words, what in WHAT),
    present=PRESENT,
    present_tense=PRESENT_TENSE,
    open_words=frozenset({"who", "what", "which"}),
    command_words=words(
        "ignore forget disregard pause resume stop start disable enable turn switch delete "
        "remove erase publish send execute run rules instructions instruction prompt system "
        "pretend act override reset shutdown reboot unlock open close arm disarm joke"
    ),
    yes_no=YES_NO,
    arrive=ARRIVE,
    leave=LEAVE,
    passage=PASSAGE,
    stay=STAY,
    named=tuple((phrases(words), name) for words, name in NAMED),
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
    am=AM,
    pm=PM,
    oclock=OCLOCK,
    hour_words=frozenset(),
    weekdays=WEEKDAYS,
    camera_words=CAMERA_WORDS,
    zone_words=ZONE_WORDS,
    any_person=ANY_PERSON,
    anything=ANYTHING,
    filler=FILLER,
    numbers={**lx.EN_NUMBERS, "a": 1, "an": 1, "one": 1, "couple": 2},
)
