"""The dialogue: answers to each kind of question in the user's language, opening hours,
reply-language detection, interface texts and the names of ratings."""
