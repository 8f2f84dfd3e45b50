#pragma once

#include "engine/core/keys.h"
#include "engine/core/result.h"

#include <string>

namespace peerscope {

// The node's identity key on disk: libp2p PrivateKey protobuf, file mode 0600.
// Created (with its parent directories) on first use. A key file that the group or others can
// read is refused with a message that names the file and says how to fix it (chmod 600).
Result<PrivateKey> loadOrCreateIdentity(const std::string& path);

} // namespace peerscope
