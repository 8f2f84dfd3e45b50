#pragma once

#include <QString>

namespace peerscope {

// The control API's address as `--api` takes it: "HOST:PORT", HOST an IP literal (IPv6 in
// brackets) or localhost.
struct ApiEndpoint {
    QString host; // as written, IPv6 with its brackets (ready for a URL)
    quint16 port = 0;
};

// Empty when `value` is valid (and `*out` is filled); else a message naming the bad part,
// e.g. `--api 127.0.0.1:70000: port 70000 out of range 0-65535`. `minPort` is 0 where an
// ephemeral port makes sense (listening), 1 where it does not (connecting); `orElse` names
// what else the option accepts, for the message (e.g. "off").
QString parseApiEndpoint(const QString& value, quint16 minPort, ApiEndpoint* out,
                         const QString& orElse = {});

} // namespace peerscope
