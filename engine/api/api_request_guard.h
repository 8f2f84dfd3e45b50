#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <optional>

namespace peerscope {

// The largest request head (request line and headers) the control API reads.
constexpr qsizetype kMaxApiHeadBytes = 16 * 1024;
// The largest request body the control API reads: its largest legitimate body is a config PUT
// of a few KiB, so 1 MiB leaves room without letting a client make the node buffer megabytes.
constexpr qint64 kMaxApiBodyBytes = 1024 * 1024;

// Why the guard refused a request; `reason` is the label of
// peerscope_api_requests_refused_total.
struct ApiRefusal {
    int status = 0;    // 400, 401, 411, 413 or 431
    QByteArray reason; // "unauthorized", "body_too_large", "head_too_large", "length_required",
                       // "bad_request"
    QString message;   // names the bad part
};

// Sans-I/O: follows the requests on one control-API connection (head, then Content-Length
// bytes of body, then the next head) from the bytes as they arrive, and refuses a request from
// its head alone, before QAbstractHttpServer (which buffers the whole body) reads it: a head
// past kMaxApiHeadBytes, a body-carrying request without the bearer token, Transfer-Encoding,
// or a Content-Length past kMaxApiBodyBytes. Requests without a body pass unchecked: the
// dispatcher answers them (401 without the token) at no cost.
class ApiRequestGuard {
public:
    explicit ApiRequestGuard(QByteArray token);

    // The next bytes of the connection. Once it has returned a refusal, the connection is done.
    std::optional<ApiRefusal> feed(QByteArrayView bytes);

    // The answer to a refusal: a JSON error, "Connection: close".
    static QByteArray response(const ApiRefusal& refusal);

private:
    // A refusal, or the body length that follows the head.
    std::optional<ApiRefusal> checkHead(QByteArrayView head, qint64* bodyLength) const;

    QByteArray token_;
    QByteArray head_;     // the current head so far
    qint64 bodyLeft_ = 0; // body bytes of the current request still to come
};

} // namespace peerscope
