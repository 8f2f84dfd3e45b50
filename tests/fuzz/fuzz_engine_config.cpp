// libFuzzer target for the config parser (config file, PUT /api/v1/config): any input is either
// refused with messages, or parses into a config that validates and round-trips through JSON.
#include "engine/core/engine_config.h"

#include <QJsonDocument>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace peerscope;

namespace {

[[noreturn]] void fail(const char* what, const QByteArray& input) {
    std::fprintf(stderr, "fuzz_engine_config: %s: %s\n", what, input.toHex().constData());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    Result<EngineConfig> parsed = EngineConfig::parse(input, EngineConfig{});
    if (!parsed) {
        if (parsed.errorMessage().empty())
            fail("refused without a message", input);
        return 0;
    }
    // Nothing invalid gets through, and what got through survives its own JSON unchanged.
    if (!parsed->validate().empty())
        fail("accepted an invalid config", input);
    const QByteArray json = QJsonDocument(parsed->toJson()).toJson(QJsonDocument::Compact);
    Result<EngineConfig> again = EngineConfig::parse(json, EngineConfig{});
    if (!again || !(*again == *parsed))
        fail("JSON round trip differs", input);
    return 0;
}
