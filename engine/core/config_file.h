#pragma once

#include "engine/core/engine_config.h"
#include "engine/core/result.h"

#include <QString>

namespace peerscope {

// The config file: $XDG_CONFIG_HOME/peerscope/config.json unless a path is given (--config).
// A missing file means the defaults; a bad one is refused whole with every problem listed.
class ConfigFile final {
public:
    explicit ConfigFile(QString path = {});

    static QString defaultPath();
    const QString& path() const { return path_; }
    bool exists() const;

    Result<EngineConfig> load() const;
    // Atomic (QSaveFile): a crash mid-write leaves the old file.
    Result<void> save(const EngineConfig& config) const;

private:
    QString path_;
};

} // namespace peerscope
