#include "engine/protocol/multistream_select.h"

#include "engine/core/varint.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace peerscope {

namespace {

// Real protocol ids are short; go-multistream and js-libp2p use the same 1024-byte ceiling.
constexpr std::size_t maxMessageLength = 1024;
// A remote that keeps proposing (or an initiator with a huge list) must not loop forever.
constexpr std::size_t maxRounds = 32;

// Remote text goes into error messages: keep it short and printable.
std::string quoted(std::string_view text) {
    constexpr std::size_t limit = 64;
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    if (text.size() > limit)
        out += "...";
    out.push_back('\'');
    return out;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += ", ";
        out += item;
    }
    return out;
}

} // namespace

MultistreamSelect::MultistreamSelect(bool initiator, std::vector<std::string> protocols)
    : initiator_(initiator), protocols_(std::move(protocols)) {}

MultistreamSelect MultistreamSelect::initiator(std::vector<std::string> proposals) {
    return MultistreamSelect(true, std::move(proposals));
}

MultistreamSelect MultistreamSelect::responder(std::vector<std::string> supported) {
    return MultistreamSelect(false, std::move(supported));
}

void MultistreamSelect::start() {
    if (headerSent_ || state_ != State::Negotiating)
        return;
    if (initiator_ && protocols_.empty()) {
        fail("protocol negotiation failed: no protocols to propose");
        return;
    }
    // Both sides may send the header at once (spec); the initiator pipelines its first
    // proposal to save a round trip.
    queueMessage(header);
    headerSent_ = true;
    if (initiator_)
        queueMessage(protocols_[nextProposal_++]);
}

void MultistreamSelect::feed(ByteView bytes) {
    if (state_ == State::Failed)
        return;
    append(input_, bytes);
    if (state_ == State::Done)
        return; // everything after completion belongs to the next layer
    if (initiator_ && !headerSent_)
        start();

    std::size_t offset = 0;
    while (state_ == State::Negotiating && offset < input_.size()) {
        const ByteView rest = ByteView(input_).subspan(offset);
        auto decoded = varint::decode(rest);
        if (!decoded) {
            fail("multistream-select: bad message length: " + decoded.errorMessage());
            break;
        }
        if (!decoded->has_value()) {
            if (rest.size() >= varint::maxLength)
                fail("multistream-select: bad message length: varint too long");
            break;
        }
        const std::uint64_t length = (*decoded)->value;
        const std::size_t prefix = (*decoded)->length;
        if (length > maxMessageLength) {
            fail("multistream-select: message of " + std::to_string(length) +
                 " bytes exceeds the limit of " + std::to_string(maxMessageLength));
            break;
        }
        if (rest.size() - prefix < length)
            break; // wait for the rest of the message
        const ByteView body = rest.subspan(prefix, static_cast<std::size_t>(length));
        offset += prefix + static_cast<std::size_t>(length);
        if (body.empty() || body.back() != '\n') {
            fail("multistream-select: message " + quoted(toString(body)) +
                 " does not end in a newline");
            break;
        }
        handleMessage(toString(body.first(body.size() - 1)));
    }
    if (state_ == State::Failed) {
        input_.clear();
        return;
    }
    // On Done what is left is the remainder; otherwise it is a partial message.
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(offset));
}

void MultistreamSelect::handleMessage(const std::string& message) {
    if (!headerReceived_) {
        if (message != header) {
            fail("multistream-select: expected header " + quoted(header) + ", got " +
                 quoted(message));
            return;
        }
        headerReceived_ = true;
        if (!headerSent_) { // responder that was fed before start()
            queueMessage(header);
            headerSent_ = true;
        }
        return;
    }

    if (initiator_) {
        const std::string& proposed = protocols_[nextProposal_ - 1];
        if (message == proposed) {
            selected_ = proposed;
            state_ = State::Done;
            return;
        }
        if (message != "na") {
            fail("multistream-select: unexpected answer " + quoted(message) + " to proposal " +
                 quoted(proposed));
            return;
        }
        if (nextProposal_ >= protocols_.size()) {
            fail("protocol negotiation failed: remote supports none of " + joined(protocols_));
            return;
        }
        if (nextProposal_ >= maxRounds) {
            fail("multistream-select: no agreement after " + std::to_string(maxRounds) + " rounds");
            return;
        }
        queueMessage(protocols_[nextProposal_++]);
        return;
    }

    // Responder: every message after the header is one round.
    if (++rounds_ > maxRounds) {
        fail("multistream-select: remote made more than " + std::to_string(maxRounds) +
             " proposals");
        return;
    }
    // "ls" asks for our list; the spec lets us decline it with "na", which keeps the
    // output of a round to one short message.
    if (message != "ls" &&
        std::find(protocols_.begin(), protocols_.end(), message) != protocols_.end()) {
        selected_ = message;
        queueMessage(message);
        state_ = State::Done;
        return;
    }
    if (message != "ls")
        ++declined_;
    queueMessage("na");
}

void MultistreamSelect::queueMessage(const std::string& message) {
    varint::append(output_, message.size() + 1);
    output_.insert(output_.end(), message.begin(), message.end());
    output_.push_back('\n');
}

void MultistreamSelect::fail(std::string why) {
    state_ = State::Failed;
    error_ = std::move(why);
}

Bytes MultistreamSelect::takeOutput() {
    return std::exchange(output_, {});
}

Bytes MultistreamSelect::takeRemainder() {
    if (state_ != State::Done)
        return {};
    return std::exchange(input_, {});
}

} // namespace peerscope
