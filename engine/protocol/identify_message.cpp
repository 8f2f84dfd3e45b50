#include "engine/protocol/identify_message.h"

#include "identify.pb.h"

#include <climits>

namespace peerscope {

namespace {

std::string asString(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}
Bytes asBytes(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

} // namespace

Bytes IdentifyMessage::encode() const {
    wire::Identify pb;
    // proto2 presence: only set what we have, so a push message can leave fields out.
    if (protocolVersion)
        pb.set_protocolversion(*protocolVersion);
    if (agentVersion)
        pb.set_agentversion(*agentVersion);
    if (publicKey)
        pb.set_publickey(asString(*publicKey));
    for (const Bytes& addr : listenAddrs)
        pb.add_listenaddrs(asString(addr));
    if (observedAddr)
        pb.set_observedaddr(asString(*observedAddr));
    for (const std::string& protocol : protocols)
        pb.add_protocols(protocol);
    if (signedPeerRecord)
        pb.set_signedpeerrecord(asString(*signedPeerRecord));

    const std::string serialized = pb.SerializeAsString();
    return asBytes(serialized);
}

Result<IdentifyMessage> IdentifyMessage::decode(ByteView protobuf) {
    if (protobuf.size() > static_cast<std::size_t>(INT_MAX))
        return makeError("identify: message of " + std::to_string(protobuf.size()) +
                         " bytes is too large");
    wire::Identify pb;
    if (!pb.ParseFromArray(protobuf.data(), static_cast<int>(protobuf.size())))
        return makeError("identify: malformed protobuf (" + std::to_string(protobuf.size()) +
                         " bytes)");

    IdentifyMessage message;
    if (pb.has_protocolversion())
        message.protocolVersion = pb.protocolversion();
    if (pb.has_agentversion())
        message.agentVersion = pb.agentversion();
    if (pb.has_publickey())
        message.publicKey = asBytes(pb.publickey());
    for (const std::string& addr : pb.listenaddrs())
        message.listenAddrs.push_back(asBytes(addr));
    if (pb.has_observedaddr())
        message.observedAddr = asBytes(pb.observedaddr());
    for (const std::string& protocol : pb.protocols())
        message.protocols.push_back(protocol);
    if (pb.has_signedpeerrecord())
        message.signedPeerRecord = asBytes(pb.signedpeerrecord());
    return message;
}

} // namespace peerscope
