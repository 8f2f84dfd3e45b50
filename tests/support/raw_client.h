#pragma once

// A client driven by hand with the protocol cores, for tests against a Host on this thread:
// a real mss + Noise handshake over a plain QTcpSocket, then exactly the bytes a test wants to
// send. It reads nothing after the handshake unless the test does (socket()).
#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"

#include <QTcpSocket>
#include <QTest>
#include <memory>

namespace peerscope::test {

class RawClient final {
public:
    bool handshake(const Multiaddr& target) {
        const auto endpoint = target.tcpEndpoint().value();
        socket_.connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
        if (!socket_.waitForConnected(5000))
            return false;
        MultistreamSelect mss = MultistreamSelect::initiator({"/noise"});
        mss.start();
        NoiseHandshake::Options options;
        options.role = NoiseHandshake::Role::Initiator;
        options.muxers = {"/yamux/1.0.0"};
        options.expectedRemote = target.peerId();
        NoiseHandshake noise(key_, options);
        noise.start();
        write(mss.takeOutput());
        write(noise.takeOutput()); // pipelined after the proposal, as js-libp2p does
        for (int round = 0; round < 50 && noise.state() == NoiseHandshake::State::InProgress;
             ++round) {
            // The host under test runs on this thread: wait in its event loop, not in a
            // blocking socket call.
            if (!QTest::qWaitFor([&] { return socket_.bytesAvailable() > 0; }, 200))
                continue;
            QByteArray data = socket_.readAll();
            Bytes bytes(data.begin(), data.end());
            if (mss.state() != MultistreamSelect::State::Done) {
                mss.feed(bytes);
                bytes = mss.takeRemainder();
            }
            noise.feed(bytes);
            write(noise.takeOutput());
        }
        if (noise.state() != NoiseHandshake::State::Complete)
            return false;
        transport_ = noise.takeTransport();
        return true;
    }
    void sendEncrypted(const Bytes& plaintext) {
        Bytes wire;
        transport_->encrypt(plaintext, wire);
        write(wire);
    }
    void write(const Bytes& bytes) {
        socket_.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size()));
        socket_.flush();
    }
    QTcpSocket& socket() { return socket_; }

private:
    PrivateKey key_ = PrivateKey::generateEd25519();
    QTcpSocket socket_;
    std::unique_ptr<NoiseTransport> transport_;
};

} // namespace peerscope::test
