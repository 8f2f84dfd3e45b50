#include "api_endpoint.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace peerscope {

namespace {

// A DNS host name: dot-separated labels of letters, digits and inner hyphens, the last one not
// all digits (that would be a malformed IPv4 address).
bool isHostName(const QString& host) {
    static const QRegularExpression label(
        QStringLiteral(R"(^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*)"
                       R"([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$)"));
    static const QRegularExpression numericLast(QStringLiteral(R"((^|\.)[0-9]+$)"));
    return host.size() <= 253 && label.match(host).hasMatch() &&
           !numericLast.match(host).hasMatch();
}

} // namespace

QString parseApiEndpoint(const QString& value, ApiEndpointUse use, ApiEndpoint* out,
                         const QString& orElse) {
    const quint16 minPort = use == ApiEndpointUse::Listen ? 0 : 1;
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?:(https?)://)?(\[[^\]]*\]|[^:\[\]/]+):(\d+)$)"));
    const QRegularExpressionMatch match = pattern.match(value);
    if (!match.hasMatch())
        return QStringLiteral("--api %1: expected HOST:PORT (e.g. 127.0.0.1:5080 or [::1]:5080)%2")
            .arg(value, orElse.isEmpty() ? QString() : QStringLiteral(" or ") + orElse);
    QString host = match.captured(2);
    const bool bracketed = host.startsWith(QLatin1Char('['));
    if (bracketed)
        host = host.mid(1, host.size() - 2);
    QHostAddress address;
    const bool hostName = !bracketed && use == ApiEndpointUse::Connect && isHostName(host);
    if (host != QLatin1String("localhost") && !hostName &&
        (!address.setAddress(host) ||
         bracketed != (address.protocol() == QAbstractSocket::IPv6Protocol)))
        return QStringLiteral("--api %1: \"%2\" is not an %3")
            .arg(value, host,
                 bracketed                        ? QStringLiteral("IPv6 address")
                 : use == ApiEndpointUse::Connect ? QStringLiteral("IP address or host name")
                                                  : QStringLiteral("IP address"));
    bool ok = false;
    const uint port = match.captured(3).toUInt(&ok);
    if (!ok || port < minPort || port > 65535 || match.capturedLength(3) > 5)
        return QStringLiteral("--api %1: port %2 out of range %3-65535")
            .arg(value, match.captured(3))
            .arg(minPort);
    if (out) {
        out->scheme = match.captured(1);
        out->host = bracketed ? QStringLiteral("[%1]").arg(host) : host;
        out->port = static_cast<quint16>(port);
        out->loopback = host == QLatin1String("localhost") || address.isLoopback();
    }
    return {};
}

} // namespace peerscope
