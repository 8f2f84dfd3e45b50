#include "engine/core/identity_store.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

namespace peerscope {

namespace {

// A key file is a ~70-byte protobuf; anything much larger is not ours.
constexpr off_t maxKeyFileSize = 64 * 1024;

std::string errnoText(int error) {
    return std::strerror(error);
}

std::string octalMode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

std::string parentOf(const std::string& path) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

// mkdir -p, giving directories we create mode 0700; existing ones are left alone.
Result<void> makeParents(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return makeError(dir + " exists and is not a directory");
        return {};
    }
    const std::string parent = std::filesystem::path(dir).parent_path().string();
    if (!parent.empty() && parent != dir)
        if (auto ok = makeParents(parent); !ok)
            return ok;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return makeError("cannot create directory " + dir + ": " + errnoText(errno));
    return {};
}

Result<void> writeAll(int fd, const Bytes& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return makeError(errnoText(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<PrivateKey> readIdentity(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode))
        return makeError("identity key file " + path + " is not a regular file");
    // Like ssh: a private key others can read is compromised or about to be.
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return makeError("identity key file " + path + " is accessible by group or others (mode " +
                         octalMode(st.st_mode) + "); run: chmod 600 " + path);
    if (st.st_size > maxKeyFileSize)
        return makeError("identity key file " + path + " is too large (" +
                         std::to_string(st.st_size) + " bytes) to be a libp2p private key");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError("cannot open identity key file " + path + ": " + errnoText(errno));
    Bytes data;
    std::uint8_t buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            return makeError("cannot read identity key file " + path + ": " + errnoText(error));
        }
        if (n == 0)
            break;
        data.insert(data.end(), buffer, buffer + n);
        if (data.size() > static_cast<std::size_t>(maxKeyFileSize))
            break;
    }
    ::close(fd);
    auto key = PrivateKey::fromProtobuf(data);
    std::fill(data.begin(), data.end(), 0);
    if (!key)
        return makeError("identity key file " + path +
                         " is not a valid libp2p key: " + key.errorMessage());
    return key;
}

Result<PrivateKey> createIdentity(const std::string& path) {
    const std::string dir = parentOf(path);
    if (auto ok = makeParents(dir); !ok)
        return makeError("cannot create identity key file " + path + ": " + ok.errorMessage());
    PrivateKey key = PrivateKey::generateEd25519();
    Bytes data = key.toProtobuf();

    // Write a temp file and move it into place so a crash never leaves a half-written key.
    std::string temp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temp.data()); // mode 0600
    if (fd < 0)
        return makeError("cannot create identity key file " + path + ": " + errnoText(errno));
    ::fchmod(fd, 0600);
    auto written = writeAll(fd, data);
    std::fill(data.begin(), data.end(), 0);
    if (written && ::fsync(fd) != 0)
        written = makeError(errnoText(errno));
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        return makeError("cannot write identity key file " + path + ": " + written.errorMessage());
    }
    // NOREPLACE: if another process created the key meanwhile, keep theirs and load it.
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
        const int error = errno;
        if (error == EEXIST) {
            ::unlink(temp.c_str());
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0)
                return makeError("cannot stat identity key file " + path + ": " + errnoText(errno));
            return readIdentity(path, st);
        }
        // Filesystems without RENAME_NOREPLACE: plain rename.
        if (!(error == EINVAL || error == ENOSYS) || ::rename(temp.c_str(), path.c_str()) != 0) {
            const int renameError = error == EINVAL || error == ENOSYS ? errno : error;
            ::unlink(temp.c_str());
            return makeError("cannot create identity key file " + path + ": " +
                             errnoText(renameError));
        }
    }
    // Make the rename itself durable.
    if (const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return key;
}

} // namespace

Result<PrivateKey> loadOrCreateIdentity(const std::string& path) {
    if (path.empty())
        return makeError("identity key file path is empty");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        return readIdentity(path, st);
    if (errno != ENOENT)
        return makeError("cannot stat identity key file " + path + ": " + errnoText(errno));
    return createIdentity(path);
}

} // namespace peerscope
