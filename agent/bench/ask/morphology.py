"""`eva bench --ask`: the morphological analysers side by side, each in a fresh process.

Ukrainian case and verb forms people type, with the lemma a question must reach, read by
pymorphy3 (its Ukrainian dictionary) and by simplemma; English plurals and verb forms by
simplemma. Figures: forms right, time to load, time per word, memory of the process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TextIO

# inflected form -> the lemma the question must reach
UK_FORMS: dict[str, str] = {
    "воріт": "ворота",
    "воротах": "ворота",
    "воротами": "ворота",
    "дворі": "двір",
    "двору": "двір",
    "хліва": "хлів",
    "хліві": "хлів",
    "хліву": "хлів",
    "курнику": "курник",
    "курника": "курник",
    "корів": "корова",
    "коровами": "корова",
    "корови": "корова",
    "дверей": "двері",
    "дверях": "двері",
    "собаки": "собака",
    "кота": "кіт",
    "котові": "кіт",
    "коня": "кінь",
    "коней": "кінь",
    "машину": "машина",
    "машин": "машина",
    "людей": "людина",
    "їжака": "їжак",
    "лисиці": "лисиця",
    "тхора": "тхір",
    "оленів": "олень",
    "вовка": "вовк",
    "вигнали": "вигнати",
    "вийшли": "вийти",
    "поїхала": "поїхати",
    "повернулися": "повернутися",
    "приходив": "приходити",
    "пробув": "пробути",
    "стояла": "стояти",
    "заходили": "заходити",
    "випустили": "випустити",
    "простояла": "простояти",
    "ганку": "ганок",
    "гостей": "гість",
    "гості": "гість",
    "щура": "щур",
    "білки": "білка",
    "борсука": "борсук",
    "курей": "кури",
    "сидів": "сидіти",
}
EN_FORMS: dict[str, str] = {
    "hens": "hen",
    "gates": "gate",
    "doors": "door",
    "yards": "yard",
    "cows": "cow",
    "geese": "goose",
    "mice": "mouse",
    "foxes": "fox",
    "hedgehogs": "hedgehog",
    "ferrets": "ferret",
    "visitors": "visitor",
    "went": "go",
    "drove": "drive",
    "stayed": "stay",
    "lingered": "linger",
    "passed": "pass",
    "returned": "return",
    "came": "come",
    "ran": "run",
    "coming": "come",
}

_PROBE = r"""
import json, sys, time

def peak_kb():
    # VmHWM: this process's peak (ru_maxrss would carry the parent's over exec)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0

which, language = sys.argv[1], sys.argv[2]
forms = json.loads(sys.stdin.read())
before = peak_kb()
t0 = time.perf_counter()
if which == "pymorphy3":
    import pymorphy3
    m = pymorphy3.MorphAnalyzer(lang=language)
    def lemmas(w):
        return {p.normal_form for p in m.parse(w)}
else:
    import simplemma
    def lemmas(w):
        return {simplemma.lemmatize(w, lang=language)}
lemmas("x")
load = time.perf_counter() - t0
t0 = time.perf_counter()
for _ in range(20):
    for w in forms:
        lemmas(w)
per_word = (time.perf_counter() - t0) / (20 * len(forms))
right = sum(lemma in lemmas(w) for w, lemma in forms.items())
rss = peak_kb()
print(json.dumps({"load": load, "per_word": per_word, "right": right,
                  "mb": (rss - before) / 1024, "total_mb": rss / 1024}))
"""


def _probe(which: str, language: str, forms: dict[str, str]) -> dict[str, float] | str:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, which, language],
            input=json.dumps(forms),
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as e:
        return f"not measured: {type(e).__name__}"
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def bench_morphology(out: TextIO) -> None:
    for which, language, forms in (
        ("pymorphy3", "uk", UK_FORMS),
        ("simplemma", "uk", UK_FORMS),
        ("simplemma", "en", EN_FORMS),
    ):
        f = _probe(which, language, forms)
        if isinstance(f, str):
            print(f"morphology {which} [{language}]: {f}", file=out, flush=True)
            continue
        print(
            f"morphology {which} [{language}]: {int(f['right'])}/{len(forms)} forms to their "
            f"lemma, loaded in {f['load'] * 1000:.0f} ms, {f['per_word'] * 1e6:.0f} us a word "
            f"uncached, process {f['total_mb']:.0f} MB (+{f['mb']:.0f} MB for the analyser)",
            file=out,
            flush=True,
        )
