#include "engine/api/api_request_guard.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <algorithm>
#include <openssl/crypto.h>

namespace peerscope {

namespace {

// Where the head in `buffer` ends (the index after its blank line), or -1. Lines end in CRLF or,
// as Qt's parser also accepts, a bare LF.
qsizetype headEnd(const QByteArray& buffer) {
    const qsizetype crlf = buffer.indexOf("\n\r\n");
    const qsizetype lf = buffer.indexOf("\n\n");
    if (crlf < 0)
        return lf < 0 ? -1 : lf + 2;
    if (lf < 0 || crlf < lf)
        return crlf + 3;
    return lf + 2;
}

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 401:
        return "Unauthorized";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Bad Request";
    }
}

} // namespace

ApiRequestGuard::ApiRequestGuard(QByteArray token) : token_(std::move(token)) {}

std::optional<ApiRefusal> ApiRequestGuard::feed(QByteArrayView bytes) {
    while (!bytes.isEmpty()) {
        if (bodyLeft_ > 0) {
            const qint64 take = std::min<qint64>(bodyLeft_, bytes.size());
            bodyLeft_ -= take;
            bytes = bytes.sliced(take);
            continue;
        }
        // RFC 9112 2.2: empty lines before a request line are ignored.
        if (head_.isEmpty())
            while (!bytes.isEmpty() && (bytes.front() == '\r' || bytes.front() == '\n'))
                bytes = bytes.sliced(1);
        // Never more than one head past the limit is kept.
        const qsizetype room = kMaxApiHeadBytes + 1 - head_.size();
        const qsizetype appended = std::min<qsizetype>(room, bytes.size());
        head_.append(bytes.first(appended));
        const qsizetype end = headEnd(head_);
        if (end < 0 || end > kMaxApiHeadBytes) {
            if (head_.size() > kMaxApiHeadBytes)
                return ApiRefusal{431, "head_too_large",
                                  QStringLiteral("the request head exceeds the API's limit of "
                                                 "%1 bytes without ending in a blank line")
                                      .arg(kMaxApiHeadBytes)};
            bytes = bytes.sliced(appended);
            continue;
        }
        qint64 bodyLength = 0;
        if (std::optional<ApiRefusal> refusal =
                checkHead(QByteArrayView(head_).first(end), &bodyLength))
            return refusal;
        bodyLeft_ = bodyLength;
        // The bytes after the head: this request's body, perhaps the next request.
        const qsizetype unused = head_.size() - end;
        bytes = bytes.sliced(appended - unused);
        head_.clear();
    }
    return std::nullopt;
}

std::optional<ApiRefusal> ApiRequestGuard::checkHead(QByteArrayView head,
                                                     qint64* bodyLength) const {
    QList<QByteArrayView> lines;
    for (qsizetype start = 0; start < head.size();) {
        qsizetype end = QByteArrayView(head).indexOf('\n', start);
        if (end < 0)
            end = head.size();
        QByteArrayView line = head.sliced(start, end - start);
        if (line.endsWith('\r'))
            line.chop(1);
        if (!line.isEmpty())
            lines.append(line);
        start = end + 1;
    }
    const QByteArrayView requestLine = lines.isEmpty() ? QByteArrayView() : lines.front();
    const QList<QByteArray> parts = requestLine.toByteArray().split(' ');
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty() ||
        !parts[2].startsWith("HTTP/1."))
        return ApiRefusal{400, "bad_request",
                          QStringLiteral("request line \"%1\" is not METHOD TARGET HTTP/1.1")
                              .arg(QString::fromLatin1(requestLine.first(
                                  std::min<qsizetype>(requestLine.size(), 200))))};

    std::optional<qint64> contentLength;
    QByteArray transferEncoding;
    std::optional<QByteArray> authorization;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue; // not a header the guard needs; Qt's parser judges it
        const QByteArray name = lines[i].first(colon).trimmed().toByteArray().toLower();
        const QByteArray value = lines[i].sliced(colon + 1).trimmed().toByteArray();
        if (name == "content-length") {
            bool ok = false;
            const qint64 length = value.toLongLong(&ok);
            const bool digits =
                !value.isEmpty() && std::all_of(value.begin(), value.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
            if (!ok || !digits || (contentLength && *contentLength != length))
                return ApiRefusal{400, "bad_request",
                                  QStringLiteral("Content-Length \"%1\" is not one byte count")
                                      .arg(QString::fromLatin1(value.left(100)))};
            contentLength = length;
        } else if (name == "transfer-encoding") {
            transferEncoding = value;
        } else if (name == "authorization" && !authorization) {
            authorization = value; // the first, as the dispatcher reads it
        }
    }

    *bodyLength = contentLength.value_or(0);
    const bool carriesBody = !transferEncoding.isEmpty() || *bodyLength > 0;
    if (!carriesBody)
        return std::nullopt;
    // As the dispatcher: the scheme case-insensitive (RFC 9110), the token in constant time.
    const QByteArray given = authorization.value_or(QByteArray());
    if (given.left(7).compare("Bearer ", Qt::CaseInsensitive) != 0 ||
        given.size() - 7 != token_.size() ||
        CRYPTO_memcmp(given.constData() + 7, token_.constData(),
                      static_cast<std::size_t>(token_.size())) != 0)
        return ApiRefusal{401, "unauthorized", QStringLiteral("missing or wrong bearer token")};
    if (!transferEncoding.isEmpty())
        return ApiRefusal{411, "length_required",
                          QStringLiteral("Transfer-Encoding \"%1\" is not accepted; send a "
                                         "Content-Length of at most %2 bytes")
                              .arg(QString::fromLatin1(transferEncoding.left(100)))
                              .arg(kMaxApiBodyBytes)};
    if (*contentLength > kMaxApiBodyBytes)
        return ApiRefusal{413, "body_too_large",
                          QStringLiteral("Content-Length %1 exceeds the API's limit of %2 bytes")
                              .arg(*contentLength)
                              .arg(kMaxApiBodyBytes)};
    return std::nullopt;
}

QByteArray ApiRequestGuard::response(const ApiRefusal& refusal) {
    const QByteArray body =
        QJsonDocument(QJsonObject{{"error", refusal.message}}).toJson(QJsonDocument::Compact);
    QByteArray out =
        "HTTP/1.1 " + QByteArray::number(refusal.status) + ' ' + reasonPhrase(refusal.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
        "\r\nConnection: close\r\n";
    if (refusal.status == 401)
        out += "WWW-Authenticate: Bearer\r\n";
    return out + "\r\n" + body;
}

} // namespace peerscope
