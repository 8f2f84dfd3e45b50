#pragma once

#include "engine/core/bytes.h"

#include <cstddef>
#include <string>
#include <vector>

namespace peerscope {

// multistream-select 1.0 (libp2p/specs connections/README.md#multistream-select), sans-I/O.
// Messages are varint-length-prefixed and end in '\n'. The initiator proposes protocols one at
// a time (the header and first proposal are sent together); the responder answers each with an
// echo (accept) or "na". Bytes that arrive after the negotiation ends belong to the next layer
// and are kept in remainder().
class MultistreamSelect final {
public:
    static constexpr const char* header = "/multistream/1.0.0";

    enum class State { Negotiating, Done, Failed };

    static MultistreamSelect initiator(std::vector<std::string> proposals);
    static MultistreamSelect responder(std::vector<std::string> supported);

    // Queues the first output (header, and for the initiator the first proposal).
    void start();
    // Consumes bytes from the remote. Never throws; a protocol violation moves to Failed.
    void feed(ByteView bytes);
    // Bytes to send to the remote (drains the queue).
    Bytes takeOutput();

    State state() const { return state_; }
    bool isInitiator() const { return initiator_; }
    const std::string& protocol() const { return selected_; } // valid in Done
    const std::string& error() const { return error_; }       // valid in Failed
    // Responder: proposals answered with "na" (a protocol we do not serve).
    std::size_t declined() const { return declined_; }
    // Bytes received after the negotiation completed (drains).
    Bytes takeRemainder();

private:
    MultistreamSelect(bool initiator, std::vector<std::string> protocols);
    void handleMessage(const std::string& message);
    void queueMessage(const std::string& message);
    void fail(std::string why);

    bool initiator_;
    std::vector<std::string> protocols_;
    std::size_t nextProposal_ = 0;
    bool headerReceived_ = false;
    bool headerSent_ = false;
    std::size_t rounds_ = 0; // responder: proposals answered
    std::size_t declined_ = 0;
    State state_ = State::Negotiating;
    std::string selected_;
    std::string error_;
    Bytes input_;
    Bytes output_;
};

} // namespace peerscope
