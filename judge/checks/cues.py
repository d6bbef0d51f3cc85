"""The words and signs `claims` reads an answer by, in Russian and English.

Clause boundaries, rejection (`не 15`, `15 — неверно`), alternatives (`или`, `or`), ranges, bounds
(`не менее`, `at least`), result words (`получаем`, `равно`, `is`, `total`), operators (`по`, `×`,
`times`) and leads (`Итак,`, `So,`). Kept apart from the logic so that the vocabulary can grow
without touching the rules; `phrase_stance` applies the same cues to free text (exact answers).
"""

from __future__ import annotations

import re
from typing import Literal

# where a clause ends: punctuation (not a decimal comma), a spaced dash, `а`/`но`/`but`
BOUNDARY = re.compile(
    r"[;!?\n]|[,:](?!\d)|(?<!\d)[,:]|\.(?=\s|$)|\s[—–]\s|(?<!\w)(?:а|но|but|however|однако|yet)(?!\w)"
)
# rejects the value right after it: `не 15`, `а не 15`, `not 15`, `rather than 15`, `вместо 15`
NEG_BEFORE = re.compile(
    r"(?<!\w)(?:не|ни|not|never|neither|nor|no|нет|вместо|кроме|except|instead\s+of|rather\s+than|isn't|≠|!=)\s*"
    r"(?:(?:равн\w*|будет|является|equals?|equal\s+to|to|be|is|the|an?|вариант\w*|option|answer|ответ\w*|число"
    r"|number|именно|exactly)\s+){0,2}[*_`«\"'“(]*$",
    re.IGNORECASE,
)
# rejects the value right before it: `15 — неверно`, `A и B неверны`, `B is wrong`
NEG_AFTER = re.compile(
    r"^[\s*_`»\"'”)]*[-—–:,]?\s*(?:неверн|неправильн|ошибочн|не\s+подход|не\s+верн|не\s+правильн|не\s+является\s+(?:правильн|верн)"
    r"|не\s+тот|wrong|incorrect|is\s+(?:wrong|incorrect|false|not\s+correct|not\s+right|not\s+the\s+answer)"
    r"|isn't\s+(?:correct|right)|are\s+(?:wrong|incorrect)|ложн|отпада|исключ|eliminated|ruled\s+out)",
    re.IGNORECASE,
)
# offers an alternative: `12 или 15`, `12 or maybe 15`, `то ли 12, то ли 15`, `A/B`
OR_WORDS = r"(?:или\s+же|или|либо|or\s+maybe|or\s+perhaps|or\s+possibly|or|то\s+ли|а\s+может(?:\s+быть)?|/)"
OR_GAP = re.compile(
    r"^[\s*_`»\"”]*(?:[^\W\d]+\.?\s+){0,2}?,?\s*" + OR_WORDS + r"[\s,*_`«\"“]*"
    r"(?:(?:даже|even|maybe|perhaps|possibly|возможно|может\s+быть|то\s+ли)[\s,]+)?$",
    re.IGNORECASE,
)
OR_REMARK = re.compile(r"^\s*(?:или|либо|or|возможно|может\s+быть|maybe|perhaps|possibly|alternatively)(?!\w)", re.I)
# joins values into a list: `A и C`, `A, C`
AND_GAP = re.compile(r"^[\s*_`»\"”)]*(?:,|и|and|&|\+)[\s*_`«\"“(]*$", re.IGNORECASE)
LIST_GAP = re.compile(r"^[\s*_`]*[,;][\s*_`]*$|^\s+$")
# a range: `3–4`, `3-4`, `от 3 до 4`, `between 3 and 4`
RANGE_GAP = re.compile(r"^(?:\s*[–—]\s*|-|\s*\.\.\.?\s*|\s+(?:до|to|and|и)\s+)$", re.IGNORECASE)
RANGE_START = re.compile(r"(?<!\w)(?:от|from|between|между)\s+[*_`]*$", re.IGNORECASE)
# words allowed between a pointer and its value: `равно примерно 5`, `is about 12`
FILLER = r"(?:примерно|около|приблизительно|ровно|всего|лишь|число|значение|number|the\s+number|approximately|about|roughly|exactly|just|only|a\s+total\s+of|total\s+of|of|the\s+value|x)"
POINTED = re.compile(r"^[\s:*_`«\"'“—–-]*(?:" + FILLER + r"[\s:*_`«\"'“]*){0,2}$", re.IGNORECASE)
EQ = re.compile(r"[=≈≅]")
# "не менее 12", "at least 12", "12 или больше", "12+": a bound, not the value
BOUND_BEFORE = re.compile(
    r"(?<!\w)(?:не\s+менее|не\s+более|не\s+больше|не\s+меньше|как\s+минимум|как\s+максимум|минимум|максимум|более|менее"
    r"|больше|меньше|свыше|at\s+least|at\s+most|more\s+than|less\s+than|fewer\s+than|over|under|up\s+to|[<>≤≥])"
    r"\s*[*_`«\"“]*$",
    re.IGNORECASE,
)
BOUND_AFTER = re.compile(
    r"^\s*(?:[^\W\d]+\s+)?(?:или|и|or|and)\s+(?:больше|меньше|более|менее|выше|ниже|more|less|fewer|above|below|up|over)(?!\w)"
    r"|^\+(?![\d\s]*\d)",
    re.IGNORECASE,
)
# points at the value after it: `получаем 12`, `равно 12`, `is 12`, `итого 12`, `время — 2 часа`
RESULT = re.compile(
    r"(?<!\w)(?:получаем|получим|получится|получается|получилось|получили|итого|всего|в\s+итоге|в\s+сумме"
    r"|в\s+общей\s+сложности|в\s+результате|составит|составляет|составляют|составило|составила|равно|равна|равен"
    r"|равны|равняется|будет|будут|это|является|is|are|was|equals|equal\s+to|gives|makes|totals?|in\s+total"
    r"|comes\s+to|amounts\s+to|we\s+get|yields|results\s+in)(?!\w)|(?<=\s)[—–-](?=\s)",
    re.IGNORECASE,
)
# points at the value before it: `12 in total`, `12 всего`
TOTAL_AFTER = re.compile(r"^\s*(?:[^\W\d]+\s+)?(?:in\s+total|total|altogether|всего|в\s+сумме|в\s+итоге)(?!\w)", re.I)
# makes the value before it an operand: `12 × 4`, `3 коробки по 4`, `7 умножить на 8`
OPERATOR_AFTER = re.compile(
    r"^[\s`*]*(?:[-+×*·/÷^±:]|x(?=\s)|(?:mod|по|of|times|раза?\s+по|плюс|минус|plus|minus|over)(?!\w)"
    r"|(?:умнож\w*|раздел\w*|дел[её]нн\w*|подел\w*|прибав\w*|вычест\w*|multiplied|divided|added|subtracted)"
    r"(?:\s+(?:на|by|to|from))?(?!\w))",
    re.IGNORECASE,
)
# the first value of an enumeration does not lead: `12 и 15`, `5 яблок и 3 груши`, `12, 15`
ENUMERATION_GAP = re.compile(r"^\s*(?:[^\W\d]+\s+){0,2}(?:и|and|плюс|plus|\+)\s*$|^[\s*_`]*[,;][\s*_`]*$|^\s+$", re.I)
# what may stand before a leading value: markup, `Итак,`, `So,`, `примерно`, `x =`
LEAD = re.compile(
    r"^[\s>#*_•«\"“'`(\[:—–-]*(?:(?:итак|таким\s+образом|следовательно|значит|поэтому|в\s+итоге|so|thus|therefore|hence"
    r"|finally|примерно|около|приблизительно|ровно|approximately|about|roughly|exactly|вариант|option|choice|x\s*=)"
    r"[\s,:*_]*)*[*_«\"“'`(\[]*$",
    re.IGNORECASE,
)
OPTION_WORD = re.compile(r"(?<!\w)(?:вариант\w*|option|choice|пункт|letter|буква)\s*[*_«\"“(]*$", re.IGNORECASE)
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")

# an equation rather than a result: a one-letter variable and an operator left of the "=" (`2x - 3 = -7`)
VARIABLE = re.compile(r"(?<![^\W_])[A-Za-z](?![^\W_])|[0-9][A-Za-z]|[A-Za-z]\^")
OPERATOR = re.compile(r"[-+*/^×·−]")


# pointer kinds that point further along a clause (what they point at supersedes what is before it)
FORWARD = {"=", "total", "получаем", "получается", "равно", "равна", "равен", "равны", "будет", "is", "equals"}


# ---------------------------------------------------------------------------------------------
# The same cues for free text (check:answer of type exact)

OR_NEAR = re.compile(r"^\s*,?\s*" + OR_WORDS + r"\s+\S", re.IGNORECASE)
OR_BEFORE = re.compile(r"\S\s*,?\s+" + OR_WORDS + r"\s*$", re.IGNORECASE)
DENIAL_AFTER = re.compile(r"^\s+(?:не|not|is\s+not|isn't|was\s+not|wasn't|did\s+not|didn't|never)\s+\w", re.I)


def phrase_stance(text: str, start: int, end: int) -> Literal["stated", "rejected", "hedged", "unclear"]:
    """How the text treats the phrase at `text[start:end]`: names it as the answer (`stated`), names
    it to reject it (`не Пётр`, `Павел, а не Пётр`, `Пётр неверно`), offers it as one of
    alternatives (`Пётр или Павел`), or says something negative about it (`Пётр не виноват`)."""
    window = max(0, start - 300)  # the clause around the phrase is all that matters
    bounds = [b.start() for b in BOUNDARY.finditer(text, window, start)]
    clause_start = bounds[-1] + 1 if bounds else window
    before, after = text[clause_start:start], text[end : end + 300]
    if NEG_BEFORE.search(before) or NEG_AFTER.match(after):
        return "rejected"
    if OR_NEAR.match(after) or OR_BEFORE.search(before):
        return "hedged"
    if DENIAL_AFTER.match(after):
        return "unclear"
    return "stated"
