"""The few texts the WeChat channel says by itself (everything else comes from the assistant),
in the assistant's languages; English when the user's language is not known."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "unsupported": {
        "en": "Thank you! I can read text, voice messages and locations, but not pictures, videos or links. Please type your question.",
        "zh": "谢谢！我能看懂文字、语音和位置，但看不懂图片、视频和链接。请用文字提问。",
        "ja": "ありがとうございます。文字・音声メッセージ・位置情報は読めますが、画像・動画・リンクは読めません。質問を文字で入力してください。",
        "ko": "감사합니다! 글, 음성 메시지, 위치는 읽을 수 있지만 사진, 동영상, 링크는 읽을 수 없습니다. 질문을 글로 입력해 주세요.",
        "ru": "Спасибо! Я понимаю текст, голосовые сообщения и геопозицию, но не картинки, видео и ссылки. Пожалуйста, напишите вопрос текстом.",
        "fr": "Merci ! Je sais lire le texte, les messages vocaux et les positions, mais pas les images, les vidéos ni les liens. Écrivez-moi votre question.",
        "de": "Danke! Ich kann Text, Sprachnachrichten und Standorte lesen, aber keine Bilder, Videos oder Links. Bitte schreiben Sie Ihre Frage.",
        "es": "¡Gracias! Puedo leer texto, mensajes de voz y ubicaciones, pero no imágenes, vídeos ni enlaces. Escriba su pregunta, por favor.",
        "ar": "شكرًا! أستطيع قراءة النصوص والرسائل الصوتية والمواقع، لكن لا أستطيع قراءة الصور أو الفيديو أو الروابط. من فضلك اكتب سؤالك.",
    },
    "voice_unrecognized": {
        "en": "Sorry, I could not make out that voice message. Please type your question.",
        "zh": "抱歉，我没能识别这条语音。请用文字输入您的问题。",
        "ja": "申し訳ありません、音声メッセージを認識できませんでした。質問を文字で入力してください。",
        "ko": "죄송합니다. 음성 메시지를 알아듣지 못했습니다. 질문을 글로 입력해 주세요.",
        "ru": "Извините, я не смог разобрать голосовое сообщение. Пожалуйста, напишите вопрос текстом.",
        "fr": "Désolé, je n'ai pas compris ce message vocal. Écrivez-moi votre question.",
        "de": "Entschuldigung, ich konnte die Sprachnachricht nicht verstehen. Bitte schreiben Sie Ihre Frage.",
        "es": "Lo siento, no he podido entender el mensaje de voz. Escriba su pregunta, por favor.",
        "ar": "عذرًا، لم أتمكن من فهم الرسالة الصوتية. من فضلك اكتب سؤالك.",
    },
    "choose_option": {
        "en": "(Reply with a number.)",
        "zh": "（请回复序号。）",
        "ja": "（番号で返信してください。）",
        "ko": "(번호로 답해 주세요.)",
        "ru": "(Ответьте номером.)",
        "fr": "(Répondez par un numéro.)",
        "de": "(Antworten Sie mit einer Zahl.)",
        "es": "(Responda con un número.)",
        "ar": "(أرسل الرقم للاختيار.)",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "zh": "抱歉，系统出了点问题，请稍后再试。",
        "ja": "申し訳ありません、問題が発生しました。しばらくしてからもう一度お試しください。",
        "ko": "죄송합니다. 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
        "ru": "Извините, что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "fr": "Désolé, un problème est survenu de mon côté. Réessayez dans un instant.",
        "de": "Entschuldigung, bei mir ist etwas schiefgelaufen. Bitte versuchen Sie es gleich noch einmal.",
        "es": "Lo siento, algo ha fallado por mi parte. Inténtelo de nuevo en un momento.",
        "ar": "عذرًا، حدث خطأ من جهتي. من فضلك حاول مرة أخرى بعد قليل.",
    },
    "shortened": {
        "en": "(Answer shortened: WeChat limits how many messages I may send. Ask me again for the rest.)",
        "zh": "（回答已缩短：微信限制了我能发送的消息条数。如需其余内容请再问一次。）",
        "ja": "（WeChat の送信数制限のため回答を短くしました。続きはもう一度お尋ねください。）",
        "ko": "(WeChat 발송 제한 때문에 답변을 줄였습니다. 나머지는 다시 물어봐 주세요.)",
        "ru": "(Ответ сокращён: WeChat ограничивает число сообщений. Спросите ещё раз, чтобы получить остальное.)",
        "fr": "(Réponse raccourcie : WeChat limite le nombre de messages. Redemandez-moi pour la suite.)",
        "de": "(Antwort gekürzt: WeChat begrenzt die Zahl der Nachrichten. Fragen Sie noch einmal nach dem Rest.)",
        "es": "(Respuesta acortada: WeChat limita cuántos mensajes puedo enviar. Vuelva a preguntar para el resto.)",
        "ar": "(تم اختصار الإجابة: يحدّ WeChat من عدد الرسائل. اسألني مرة أخرى لبقية الإجابة.)",
    },
}


def text(key: str, lang: str | None) -> str:
    variants = TEXTS[key]
    return variants.get(lang or "en") or variants["en"]
