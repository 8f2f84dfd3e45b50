#pragma once

#include "engine/core/peer_id.h"
#include "engine/core/resource_limits.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace peerscope {

// Stream is the bound of one stream's buffered bytes: it has a limit and refusals, no entries.
enum class ResourceScope : std::uint8_t { System, SourceIp, Peer, Connection, Protocol, Stream };
inline constexpr std::size_t resourceScopeCount = 6;
const char* resourceScopeName(ResourceScope scope); // "system", "ip", "peer", ...

enum class Resource : std::uint8_t {
    PendingHandshakes,
    InboundConnections,
    OutboundConnections,
    InboundStreams,
    OutboundStreams,
    // An amount, not a count of units: bytes the node holds for its connections that the
    // kernel does not (socket queues, yamux send queues, stream data not yet read).
    BytesBuffered
};
inline constexpr std::size_t resourceCount = 6;
const char* resourceName(Resource resource); // "pending_handshakes", ...
const char* resourceText(Resource resource); // "pending handshakes", ...

// The source-IP scope of a textual address: an IPv4 address is its own scope ("1.2.3.4"), an
// IPv6 address its /64 ("2001:db8:1:2::/64"), a v4-mapped IPv6 address its IPv4 address.
// Nothing when it is not an IP address.
std::optional<std::string> ipScopeKey(std::string_view address);

// Which scopes a reservation counts in. Keys are only read during the call.
struct ResourceScopes {
    ResourceScopes() = default;
    ResourceScopes(std::string_view ip, const PeerId* peer = nullptr, std::uint64_t connection = 0,
                   std::string_view protocol = {}, std::uint32_t stream = 0)
        : ip(ip), peer(peer), connection(connection), protocol(protocol), stream(stream) {}

    std::string_view ip;          // an ipScopeKey(); empty: not in an IP scope
    const PeerId* peer = nullptr; // null: not in a peer scope
    std::uint64_t connection = 0; // 0: not in a connection scope
    std::string_view protocol;    // with `peer`: that peer's streams of this protocol
    std::uint32_t stream = 0;     // names a refusal in the stream scope (no entries)
};

// Why a reservation was refused: the first scope it did not fit.
struct ResourceRefusal {
    ResourceScope scope = ResourceScope::System;
    Resource resource = Resource::PendingHandshakes;
    std::uint32_t limit = 0;
    std::string key; // readable: the IP scope, the peer, "connection 7", "<peer> /ipfs/ping/1.0.0"
};

// "inbound connections over the peer limit (8)", for an error message.
std::string refusalReason(const ResourceRefusal& refusal);

class ResourceManager;

// One unit of one resource, counted in the system scope and the scopes it was made with, until
// it is destroyed or released; or an amount of one (ResourceManager::account), which grows and
// shrinks (go-libp2p's ReserveMemory / ReleaseMemory). Move-only, so no error path can leak a
// count.
class ResourceReservation final {
public:
    ResourceReservation() = default;
    ResourceReservation(ResourceReservation&& other) noexcept;
    ResourceReservation& operator=(ResourceReservation&& other) noexcept;
    ResourceReservation(const ResourceReservation&) = delete;
    ResourceReservation& operator=(const ResourceReservation&) = delete;
    ~ResourceReservation() { release(); }

    explicit operator bool() const { return manager_ != nullptr; }
    Resource resource() const { return resource_; }
    std::uint64_t amount() const { return amount_; }
    // An account's new amount, counted at once in each of its scopes. Never refused: what is
    // already held is a fact; ResourceManager::allows() decides what may be added.
    void setAmount(std::uint64_t amount);
    void release();

private:
    friend class ResourceManager;
    // Per resource the use, then (last slot) how many reservations refer to the entry: an
    // account at zero keeps its entries alive.
    using Entry = std::pair<const std::string, std::array<std::uint64_t, resourceCount + 1>>;

    ResourceManager* manager_ = nullptr;
    Resource resource_ = Resource::PendingHandshakes;
    std::uint64_t amount_ = 1;
    std::array<Entry*, resourceScopeCount> entries_{}; // the system entry and the others used
};

// Accounting of limited resources by scope (go-libp2p's resource manager, rust-libp2p's
// connection limits): sans-I/O, one thread. Entries of IPs, peers, connections and protocols
// exist only while something is reserved in them, so a flood of distinct sources costs memory
// only for what is admitted. The manager must outlive its reservations.
class ResourceManager final {
public:
    explicit ResourceManager(const ResourceLimits& limits = {});
    ~ResourceManager();
    ResourceManager(const ResourceManager&) = delete;
    ResourceManager& operator=(const ResourceManager&) = delete;

    // New limits apply to what is reserved from now on; use above them stays.
    void setLimits(const ResourceLimits& limits);
    const ResourceLimits& limits() const { return limits_; }

    // An empty reservation when refused (counted, and described in `refusal` if given).
    ResourceReservation reserve(Resource resource, const ResourceScopes& scopes,
                                ResourceRefusal* refusal = nullptr);
    // Moves `reservation` to another resource and set of scopes at once (a pending handshake
    // becomes a connection once the peer is known). Refused: false, counted, and the
    // reservation is left as it was.
    bool convert(ResourceReservation& reservation, Resource resource, const ResourceScopes& scopes,
                 ResourceRefusal* refusal = nullptr);
    // An account of an amount resource (BytesBuffered), at zero; never refused.
    ResourceReservation account(Resource resource, const ResourceScopes& scopes);
    // Whether `more` of an amount resource fits under the limit of every scope in `scopes`;
    // if not, the refusal is counted (and described) in the first scope it does not fit.
    bool allows(Resource resource, const ResourceScopes& scopes, std::uint64_t more,
                ResourceRefusal* refusal = nullptr);
    // Counts a refusal found by the caller against a limit of this manager (the stream scope's
    // bound is enforced by the connection that holds the stream's bytes).
    void countRefusal(ResourceScope scope, Resource resource, const ResourceScopes& scopes,
                      ResourceRefusal* refusal = nullptr);

    // The limit of a scope for a resource; nullopt when that scope has none.
    std::optional<std::uint32_t> limit(ResourceScope scope, Resource resource) const;
    std::uint64_t systemUse(Resource resource) const;
    std::uint64_t ipUse(std::string_view ipKey, Resource resource) const;
    std::uint64_t peerUse(const PeerId& peer, Resource resource) const;
    std::uint64_t connectionUse(std::uint64_t connection, Resource resource) const;
    std::uint64_t protocolUse(const PeerId& peer, std::string_view protocol,
                              Resource resource) const;
    std::uint64_t refused(ResourceScope scope, Resource resource) const;
    // Entries held per scope (the system scope's too, while anything is reserved).
    std::size_t entryCount(ResourceScope scope) const;

private:
    friend class ResourceReservation;
    using Entry = ResourceReservation::Entry;
    using Map = std::unordered_map<std::string, Entry::second_type>;
    using Keys = std::array<std::optional<std::string>, resourceScopeCount>;

    Keys keysOf(const ResourceScopes& scopes) const;
    std::optional<ResourceScope> firstOver(const Keys& keys, Resource resource,
                                           const ResourceReservation* replaced) const;
    bool fits(ResourceScope scope, const Entry::second_type* use, Resource resource,
              const ResourceReservation* replaced, const Entry* entry) const;
    void refuse(ResourceScope scope, Resource resource, const ResourceScopes& scopes,
                ResourceRefusal* refusal);
    void take(ResourceReservation& reservation, const Keys& keys, Resource resource);
    void release(ResourceReservation& reservation);
    std::uint64_t use(ResourceScope scope, const std::string& key, Resource resource) const;

    ResourceLimits limits_;
    // No limit is std::nullopt; a scope's total of inbound and outbound connections is
    // limited apart (peer_connections).
    std::array<std::array<std::optional<std::uint32_t>, resourceCount>, resourceScopeCount>
        table_{};
    std::array<std::optional<std::uint32_t>, resourceScopeCount> connectionTotal_{};
    std::array<Map, resourceScopeCount> maps_; // the system scope is the entry with key ""
    std::array<std::array<std::uint64_t, resourceCount>, resourceScopeCount> refused_{};
};

} // namespace peerscope
