#include "engine/core/config_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>

namespace peerscope {

ConfigFile::ConfigFile(QString path) : path_(path.isEmpty() ? defaultPath() : std::move(path)) {}

QString ConfigFile::defaultPath() {
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/peerscope/config.json");
}

bool ConfigFile::exists() const {
    return QFileInfo::exists(path_);
}

Result<EngineConfig> ConfigFile::load() const {
    const std::string where = path_.toStdString();
    QFile file(path_);
    if (!file.exists())
        return EngineConfig{};
    if (!file.open(QIODevice::ReadOnly))
        return makeError(where + ": cannot read: " + file.errorString().toStdString());
    Result<EngineConfig> parsed = EngineConfig::parse(file.readAll(), EngineConfig{});
    if (!parsed) {
        // Every line names the file, so a log line alone says where to look.
        std::string message;
        std::string line;
        for (char ch : parsed.errorMessage() + "\n") {
            if (ch != '\n') {
                line += ch;
                continue;
            }
            if (!message.empty())
                message += '\n';
            message += where + ": " + line;
            line.clear();
        }
        return makeError(message);
    }
    return parsed;
}

Result<void> ConfigFile::save(const EngineConfig& config) const {
    const std::string where = path_.toStdString();
    if (std::vector<std::string> errors = config.validate(); !errors.empty())
        return makeError(where + ": not saved: " + errors.front());
    if (!QDir().mkpath(QFileInfo(path_).absolutePath()))
        return makeError(where + ": cannot create its directory");
    QSaveFile file(path_);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(where + ": cannot write: " + file.errorString().toStdString());
    file.write(QJsonDocument(config.toJson()).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return makeError(where + ": cannot write: " + file.errorString().toStdString());
    return {};
}

} // namespace peerscope
