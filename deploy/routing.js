// Which conversation a request belongs to, for nginx's `hash $conversation_key consistent;` (njs 0.7).
// The key is the conversation id Rasa uses (the REST sender, the WeChat OpenID, the id in an HTTP API
// path), so every way of reaching one conversation lands on the same Rasa server.
//
// nginx reads the whole request body before it picks an upstream server for proxy_pass, so the body is
// available here when the upstream's hash evaluates $conversation_key. It must be in memory, not in a
// temporary file: the nginx config sets client_body_buffer_size = client_max_body_size.
//
//   POST /webhooks/rest/webhook        JSON body {"sender": ...}           -> the sender
//   POST /webhooks/wechat/webhook      query ?openid=... (WeChat adds it)  -> the OpenID
//   /conversations/<id>/...            Rasa's HTTP API                     -> the id
//   anything else (health checks, a body that is not JSON, WeChat's URL check) -> the client address:
//   any server can answer those, and a malformed REST body gets its 400 from whichever server it reaches.

function conversationKey(r) {
    if (r.uri.startsWith('/webhooks/wechat/') && r.args.openid) {
        return 'id:' + r.args.openid;
    }
    var api = r.uri.match(/^\/conversations\/([^\/]+)\//);
    if (api) {
        return 'id:' + api[1];  // nginx has already decoded r.uri
    }
    if (r.method === 'POST' && r.uri.startsWith('/webhooks/rest/')) {
        var body;
        try {
            body = JSON.parse(r.requestText);  // throws when the body is not in memory (see above)
        } catch (e) {
            return 'client:' + r.remoteAddress;
        }
        if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
            // The REST channel's default sender is "default"; str(12345) == String(12345).
            return 'id:' + (body.sender === undefined ? 'default' : String(body.sender));
        }
    }
    return 'client:' + r.remoteAddress;
}

export default { conversationKey };
