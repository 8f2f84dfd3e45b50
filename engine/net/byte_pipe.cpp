#include "engine/net/byte_pipe.h"

namespace peerscope {

BytePipe::~BytePipe() = default;

} // namespace peerscope
