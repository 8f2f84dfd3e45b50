#pragma once

#include <QString>

namespace peerscope {

// The control API's address as `--api` takes it: "[SCHEME://]HOST:PORT", SCHEME http or https,
// HOST an IP literal (IPv6 in brackets), localhost, or where a client connects, a host name.
struct ApiEndpoint {
    QString scheme; // "http", "https", or empty when not written
    QString host;   // as written, IPv6 with its brackets (ready for a URL)
    quint16 port = 0;
    bool loopback = false; // 127.0.0.0/8, ::1 or localhost
};

// Empty when `value` is valid (and `*out` is filled); else a message naming the bad part,
// e.g. `--api 127.0.0.1:70000: port 70000 out of range 0-65535`. A node listens (`Listen`:
// port 0 means ephemeral, the host is an address); a client connects (`Connect`: port 1 and up,
// and a host name is fine too). `orElse` names what else the option accepts, for the message
// (e.g. "off").
enum class ApiEndpointUse { Listen, Connect };
QString parseApiEndpoint(const QString& value, ApiEndpointUse use, ApiEndpoint* out,
                         const QString& orElse = {});

} // namespace peerscope
