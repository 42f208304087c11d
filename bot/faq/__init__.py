"""Questions and answers for the long tail: staff-written entries (knowledge/faq_*.yml) found by meaning.

encoder.py  the one function that turns texts into vectors (the NLU's multilingual sentence encoder)
vectors.py  sync time: which texts of an entry are embedded, the cache of vectors keyed by content
index.py    run time: the entries and their vectors in memory, reloaded when staff publish a sync
match.py    the decision: answer with an entry, offer the closest ones, or say what we can help with
"""
