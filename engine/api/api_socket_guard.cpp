#include "engine/api/api_socket_guard.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcApi)

namespace peerscope {

ApiSocketGuard::ApiSocketGuard(QTcpSocket* socket, const QByteArray& token, OnRefused onRefused)
    : QObject(socket), socket_(socket), guard_(token), onRefused_(std::move(onRefused)) {
    connect(socket_, &QIODevice::readyRead, this, &ApiSocketGuard::examineNewBytes);
    // Bytes decrypted or read before the handover: examined now, before the server can read.
    if (socket_->bytesAvailable() > 0)
        examineNewBytes();
}

void ApiSocketGuard::follow() {
    if (following_ || refused_)
        return;
    following_ = true;
    examined_ = socket_->bytesAvailable();
    connect(socket_, &QIODevice::readyRead, this, &ApiSocketGuard::noteServerRead);
}

void ApiSocketGuard::examineNewBytes() {
    if (refused_)
        return;
    const qint64 available = socket_->bytesAvailable();
    if (available < examined_) {
        // Only the server reads, and only in its readyRead slot, which noteServerRead follows.
        qCWarning(lcApi) << "API request guard lost track of the stream; closing";
        refuse({400, "bad_request", QStringLiteral("the request stream could not be followed")});
        return;
    }
    const QByteArray unread = socket_->peek(available);
    const std::optional<ApiRefusal> refusal = guard_.feed(QByteArrayView(unread).sliced(examined_));
    examined_ = available;
    if (refusal)
        refuse(*refusal);
}

void ApiSocketGuard::noteServerRead() {
    if (!refused_)
        examined_ = socket_->bytesAvailable();
}

void ApiSocketGuard::refuse(const ApiRefusal& refusal) {
    refused_ = true;
    // The server's slot, later in this emission, and any later emission: it reads nothing more.
    QObject::disconnect(socket_, &QIODevice::readyRead, nullptr, nullptr);
    qCDebug(lcApi).noquote() << "refused a request from" << socket_->peerAddress().toString()
                             << "with" << refusal.status << refusal.message;
    if (onRefused_)
        onRefused_(refusal);
    socket_->skip(socket_->bytesAvailable());
    socket_->write(ApiRequestGuard::response(refusal));
    // Flushes the answer, then closes; the kernel drops what the client still sends.
    connect(socket_, &QAbstractSocket::disconnected, socket_, &QObject::deleteLater);
    socket_->disconnectFromHost();
}

} // namespace peerscope
