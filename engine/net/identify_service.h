#pragma once

#include "engine/core/peer_id.h"

#include <QObject>
#include <QTimer>

namespace peerscope {

class Connection;
class Host;
class Stream;
struct IdentifyMessage;

// identify (/ipfs/id/1.0.0) and identify push (/ipfs/id/push/1.0.0), both ways: answers
// peers' requests, asks every new connection's peer, and pushes changes to connected peers.
class IdentifyService final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IdentifyService)

public:
    explicit IdentifyService(Host& host);
    ~IdentifyService() override;

    void identify(Connection* connection);
    // Sends our current identify record to every connected peer.
    void pushToAll();

private:
    IdentifyMessage ownRecord(const Connection* connection) const;
    void serve(Stream* stream);
    void receive(Stream* stream, bool push);
    void apply(const PeerId& peer, const IdentifyMessage& message, bool push);

    Host& host_;
    QTimer pushTimer_;
};

} // namespace peerscope
