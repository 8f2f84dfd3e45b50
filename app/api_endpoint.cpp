#include "api_endpoint.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace peerscope {

QString parseApiEndpoint(const QString& value, quint16 minPort, ApiEndpoint* out,
                         const QString& orElse) {
    static const QRegularExpression pattern(QStringLiteral(R"(^(\[[^\]]*\]|[^:\[\]]+):(\d+)$)"));
    const QRegularExpressionMatch match = pattern.match(value);
    if (!match.hasMatch())
        return QStringLiteral("--api %1: expected HOST:PORT (e.g. 127.0.0.1:5080 or [::1]:5080)%2")
            .arg(value, orElse.isEmpty() ? QString() : QStringLiteral(" or ") + orElse);
    QString host = match.captured(1);
    const bool bracketed = host.startsWith(QLatin1Char('['));
    if (bracketed)
        host = host.mid(1, host.size() - 2);
    QHostAddress address;
    if (host != QLatin1String("localhost") &&
        (!address.setAddress(host) ||
         bracketed != (address.protocol() == QAbstractSocket::IPv6Protocol)))
        return QStringLiteral("--api %1: \"%2\" is not an %3 address")
            .arg(value, host, bracketed ? QStringLiteral("IPv6") : QStringLiteral("IP"));
    bool ok = false;
    const uint port = match.captured(2).toUInt(&ok);
    if (!ok || port < minPort || port > 65535 || match.capturedLength(2) > 5)
        return QStringLiteral("--api %1: port %2 out of range %3-65535")
            .arg(value, match.captured(2))
            .arg(minPort);
    if (out) {
        out->host = bracketed ? QStringLiteral("[%1]").arg(host) : host;
        out->port = static_cast<quint16>(port);
    }
    return {};
}

} // namespace peerscope
