#include "engine/protocol/yamux_frame.h"

namespace peerscope::yamux {

namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

std::uint16_t get16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}

std::uint32_t get32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

} // namespace

void encodeHeader(const FrameHeader& header, std::uint8_t* out) {
    out[0] = header.version;
    out[1] = header.type;
    put16(out + 2, header.flags);
    put32(out + 4, header.streamId);
    put32(out + 8, header.length);
}

void appendHeader(Bytes& out, FrameType type, std::uint16_t flags, std::uint32_t streamId,
                  std::uint32_t length) {
    const std::size_t at = out.size();
    out.resize(at + headerSize);
    encodeHeader(
        FrameHeader{protocolVersion, static_cast<std::uint8_t>(type), flags, streamId, length},
        out.data() + at);
}

FrameHeader decodeHeader(const std::uint8_t* in) {
    return FrameHeader{in[0], in[1], get16(in + 2), get32(in + 4), get32(in + 8)};
}

} // namespace peerscope::yamux
