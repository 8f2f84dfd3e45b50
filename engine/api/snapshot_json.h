#pragma once

#include "engine/api/snapshot.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>

namespace peerscope {

struct LifecycleEvent; // engine/health/event_log.h, for the control API's event route

// The JSON shapes of the control API and the JSON export, in one place.
QJsonObject connectionJson(const ConnectionSnapshot& connection);
QJsonObject peerJson(const PeerSnapshot& peer);
QJsonObject healthSummaryJson(const HealthSummary& summary);
QJsonObject poolCountersJson(const PoolCountersSnapshot& pool);
QJsonObject relayServiceJson(const RelayServiceSnapshot& relay);
RelayServiceSnapshot relayServiceFromJson(const QJsonObject& json);
QJsonObject eventJson(const LifecycleEvent& event);
QJsonObject relayJson(const RelaySnapshot& relay);
QJsonArray relaysJson(const NodeSnapshot& snapshot);
// The whole report: node, summary, counters and every peer with its connections.
QJsonObject nodeReportJson(const NodeSnapshot& snapshot);

// CSV, one row per connection (RFC 4180 quoting), with a header row naming the columns.
QByteArray renderConnectionsCsv(const NodeSnapshot& snapshot);

} // namespace peerscope
