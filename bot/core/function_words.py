"""Function words per language: articles, prepositions, pronouns, question words and auxiliaries that name
nothing ("für", "die", "the", "для", "pour", "في"). Matching a question to a record's words leaves them out,
so "Aufenthaltserlaubnis zum Arbeiten" is matched by its nouns, not by "für" and "die" in another title.

Short hand-written lists (no maintained multilingual stop-word library is a dependency of the project); only
words that are a function word in every language using the same script, so that no language's content word
is dropped ("son" is left out: French "his", English "son"). French "demande" and Spanish "solicitud" (an
application: every procedure is one) are here too, so "qui peut la demander ?" is not matched to the one title
that says "demande conjointe"; so are the Russian verbs of applying for anything ("кто может получить
разрешение на работу?" is not matched to the joint application because its summary says "получить").
Chinese, Japanese and Korean are matched by character pairs without kana (bot/knowledge/kinds/procedures.py), so they need no list. A new language in
bot/core/languages.py gets a line here (tests/core/test_function_words.py says when one is missing).
"""

from __future__ import annotations

_WORDS: dict[str, str] = {
    "en": """the and for how what which who whom whose where when why does did can could should would will
        with from into about this that these those there their they you your have has had are was were been
        being must much many any all some its our not please pls tell want also just then than get got need
        may might shall""",
    "zh": "",
    "ja": "",
    "ko": "",
    "ru": """и в во на с со к ко о об по за для от до из у а но или что как где когда какой какая какие каких
        какое каком какую сколько мне мой моя мои моего моей меня я ты вы он она они это этот эта эти этого
        нужно надо нужен нужна нужны можно ли не же бы есть будет чтобы при через там тут свой свою свои
        его её ее их нас нам вас вам мы наш наша наше наши ваш ваша ваше ваши кто может могу могут
        получить получать получу оформить оформлять подать подавать сделать""",
    "fr": """les des une un le la du de pour par avec dans sur sous est sont que qui quoi quel quelle quels
        quelles comment combien où mon ma mes ton ta tes sa ses votre vos notre nos je il elle nous vous ils
        elles faut faire dois doit peux peut pas plus aux au et ou ce cette ces cela ça demande demandes
        demander""",
    "de": """der die das den dem des ein eine einen einem einer eines und oder für fur zum zur von vom mit
        bei beim auf aus nach wie was wer wo wann welche welcher welches welchen welchem ich mich mir mein
        meine meinen meiner meinem sie ihr ihre ist sind bin hat habe haben kann können konnen muss müssen
        brauche brauchen braucht man noch auch nicht kein keine als dass wenn bis über uber unter ins im am
        an um es er wir uns gibt dafür dort hier bitte""",
    "es": """los las el la un una unos unas del al de para por con sin sobre que qué cual cuál cuáles como
        cómo cuánto cuánta cuántos cuántas dónde donde cuando cuándo mi mis tu tus su sus yo me se es está
        están hay necesito puedo debo tengo hacer más muy pero porque este esta estos estas eso esa
        solicitud solicitudes solicitar""",
    "ar": """في من على إلى الى عن مع ما ماذا كيف كم أين اين متى هل هي هو أنا انا التي الذي هذا هذه ذلك أو او
        و يجب أحتاج احتاج أريد اريد لي عند يوجد توجد هناك""",
}

BY_LANGUAGE: dict[str, frozenset[str]] = {
    code: frozenset(words.split()) for code, words in _WORDS.items()
}
ALL: frozenset[str] = frozenset().union(*BY_LANGUAGE.values())


def is_function_word(word: str) -> bool:
    """`word` (any case) is a function word in one of the assistant's languages."""
    return word.lower() in ALL
