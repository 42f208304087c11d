"""WeChat Official Account (公众号) channel: the message protocol as a Rasa input channel.

One job per module:

- `config`   settings from WECHAT_* environment variables
- `crypto`   request signatures and the AES-256-CBC message encryption (EncodingAESKey, key rotation)
- `xmlcodec` safe parsing of inbound XML and building of reply XML
- `replay`   timestamp window and nonce binding against replayed requests
- `dedup`    each message processed once however WeChat's retries interleave
- `tokens`   the access-token cache shared by the whole process
- `api`      non-blocking calls to WeChat's API (token, customer-service messages)
- `quota`    the customer-service window (5 messages in 48 h after a user message)
- `delivery` sending through the customer-service API within that window
- `purge`    deleting an unfollowed user's conversation from the tracker store
- `render`   Rasa messages to WeChat text: numbered options, links, 2048-byte parts
- `users`    small per-user memory: pending options, last reported location, language hint
- `inbound`  what each kind of WeChat message or event means for the assistant
- `texts`    the few texts the channel says itself, in the assistant's languages
- `channel`  the Rasa input channel, the 5-second rule and delivery
"""
