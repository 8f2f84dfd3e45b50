#pragma once

#include "engine/api/engine_client.h"

#include <QList>
#include <QObject>

namespace peerscope::test {

// Every event an EngineClient has emitted so far, collected on the test's thread. The client
// emits on the engine thread: a QSignalSpy would append there (a direct connection) while the
// test reads here, which ThreadSanitizer reports as the data race it is.
class EventCollector final {
public:
    explicit EventCollector(EngineClient* client) {
        QObject::connect(
            client, &EngineClient::eventsAppended, &context_,
            [this](const QList<EventSnapshot>& events) { events_ += events; },
            Qt::QueuedConnection);
    }
    const QList<EventSnapshot>& events() const { return events_; }

private:
    QObject context_;
    QList<EventSnapshot> events_;
};

} // namespace peerscope::test
